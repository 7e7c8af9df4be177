"""The live tab's own microphone capture: the page's half (HTML and script) of the sequenced frame path.

Why the studio does not use gr.Audio(streaming=True): Gradio 6.31 loses microphone chunks in three places.
- Server: routes.py `POST /stream/{event_id}` stores one waiting chunk per stream (`event.data = body`) and
  queueing.py `process_events` reads `event.data` once per wake, so a chunk that arrives while another still
  waits for the handler overwrites it (measured: 2 s of a 10 s clip lost with a slow handler, 0.5 s under a
  CPU hog).
- Browser: the recorder drops the chunks it records while its stream is `"waiting"` for the server's
  acknowledgement (the first 0.25-0.5 s after Record).
- Stop: chunks still being uploaded when recording stops are dropped.

Here the page records with getUserMedia and an AudioWorklet (a ScriptProcessor where there is none), at
16 kHz, cuts the audio into numbered 0.25 s frames of int16 and sends every frame not yet acknowledged to the
`live_frames` server function (gr.HTML server_functions, POST /component_server), one call at a time,
retrying until it is taken. The server puts frames in order (models/speech/frames.py). Record and Stop reach
the Python handlers as the component's start_recording / stop_recording events, carrying the stream's id and,
at Stop, the number of the last frame, which the Stop handler waits for before finishing the stream.
"""
import json

from studio.i18n import TABLES

FRAME_SECONDS = 0.25
SAMPLE_RATE = 16000
BUTTON_KEYS = {"record": "speech.record", "stop": "speech.stop", "recording": "speech.recording"}


def button_labels() -> str:
    """Each language's button texts, for the page to show in its current language."""
    return json.dumps({code: {name: table[key] for name, key in BUTTON_KEYS.items()} for code, table in TABLES.items()})


HTML_TEMPLATE = """
<div class="asr-capture">
  <button type="button" class="record-button lg secondary"></button>
  <button type="button" class="stop-button lg secondary" disabled></button>
  <span class="asr-capture-state"></span>
</div>
"""

CSS_TEMPLATE = """
.asr-capture { display: flex; gap: 8px; align-items: center; padding: 8px 0; }
.asr-capture button { padding: 6px 14px; border-radius: 6px; border: 1px solid var(--border-color-primary);
  background: var(--button-secondary-background-fill); color: var(--button-secondary-text-color); cursor: pointer; }
.asr-capture button:disabled { opacity: 0.5; cursor: default; }
.asr-capture .record-button::before { content: "● "; color: #d33; }
.asr-capture-state { color: var(--body-text-color-subdued); font-size: 0.9em; }
"""

JS_ON_LOAD = """
const RATE = %(rate)d, FRAME = %(frame)d, BATCH = 40;
const LABELS = %(labels)s;
const record = element.querySelector("button.record-button");
const stop = element.querySelector("button.stop-button");
const state = element.querySelector(".asr-capture-state");
const words = () => {
  const lang = (document.documentElement.lang || "en").toLowerCase();
  const code = Object.keys(LABELS).find((c) => c.toLowerCase() === lang)
    || Object.keys(LABELS).find((c) => c.toLowerCase().split("-")[0] === lang.split("-")[0]) || "en";
  return LABELS[code];
};
const label = () => {
  record.textContent = words().record;
  stop.textContent = words().stop;
  state.textContent = capture && !capture.stopped ? words().recording : "";
};
let capture = null;
new MutationObserver(label).observe(document.documentElement, {attributes: true, attributeFilter: ["lang"]});

const toBase64 = (int16) => {
  const bytes = new Uint8Array(int16.buffer, int16.byteOffset, int16.byteLength);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(text);
};

// Audio at the context's rate in, 16 kHz int16 frames out. A context made at 16 kHz resamples in the browser;
// otherwise each output sample averages the input samples it covers (a box filter) before it is taken.
const take = (c, block) => {
  const ratio = c.context.sampleRate / RATE;
  for (let i = 0; i < block.length; i++) {
    c.sum += block[i]; c.count += 1; c.position += 1;
    if (c.position >= ratio) {
      c.position -= ratio;
      const value = Math.max(-1, Math.min(1, c.sum / c.count));
      c.frame[c.filled++] = value < 0 ? value * 32768 : value * 32767;
      c.sum = 0; c.count = 0;
      if (c.filled === FRAME) cut(c);
    }
  }
};
const cut = (c) => {
  if (!c.filled) return;
  c.unsent.push([c.number++, toBase64(c.frame.slice(0, c.filled))]);
  c.filled = 0;
  send(c);
};
// One call at a time, every frame not yet acknowledged, until each is taken.
const send = async (c) => {
  if (c.sending || !c.unsent.length) return;
  c.sending = true;
  const batch = c.unsent.slice(0, BATCH);
  try {
    await server.live_frames({stream: c.id, frames: batch});
    c.unsent.splice(0, batch.length);
  } catch (error) {
    console.warn("studio: microphone frames not sent, retrying", error);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  c.sending = false;
  send(c);
};

const WORKLET = `registerProcessor("studio-capture", class extends AudioWorkletProcessor {
  process(inputs) { const input = inputs[0]; if (input && input[0]) this.port.postMessage(input[0].slice(0)); return true; }
});`;

const start = async () => {
  if (capture && !capture.stopped) return;
  const id = (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random()).toString();
  const c = {id, number: 0, unsent: [], sending: false, stopped: false, frame: new Int16Array(FRAME), filled: 0,
             sum: 0, count: 0, position: 0};
  capture = c;
  record.disabled = true; stop.disabled = false; label();
  trigger("start_recording", {stream: id});
  try {
    c.media = await navigator.mediaDevices.getUserMedia(
      {audio: {channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false}});
    try { c.context = new AudioContext({sampleRate: RATE}); } catch (error) { c.context = new AudioContext(); }
    let source;
    try { source = c.context.createMediaStreamSource(c.media); } catch (error) {
      c.context.close(); c.context = new AudioContext(); source = c.context.createMediaStreamSource(c.media);
    }
    if (c.context.audioWorklet) {
      const url = URL.createObjectURL(new Blob([WORKLET], {type: "application/javascript"}));
      await c.context.audioWorklet.addModule(url);
      c.node = new AudioWorkletNode(c.context, "studio-capture");
      c.node.port.onmessage = (event) => { if (!c.stopped) take(c, event.data); };
    } else {
      c.node = c.context.createScriptProcessor(4096, 1, 1);
      c.node.onaudioprocess = (event) => { if (!c.stopped) take(c, event.inputBuffer.getChannelData(0).slice(0)); };
    }
    const silent = c.context.createGain();
    silent.gain.value = 0;
    source.connect(c.node); c.node.connect(silent); silent.connect(c.context.destination);
    if (c.context.state === "suspended") await c.context.resume();
  } catch (error) {
    console.error("studio: microphone", error);
    state.textContent = String(error);
    finish(c);
  }
};
const finish = (c) => {
  if (c.stopped) return;
  c.stopped = true;
  cut(c);  // the part of a frame recorded since the last one
  if (c.media) c.media.getTracks().forEach((track) => track.stop());
  if (c.context) c.context.close();
  record.disabled = false; stop.disabled = true; label();
  trigger("stop_recording", {stream: c.id, last: c.number - 1});
};
record.addEventListener("click", start);
stop.addEventListener("click", () => { if (capture) finish(capture); });
label();
"""


def capture_script() -> str:
    return JS_ON_LOAD % {"rate": SAMPLE_RATE, "frame": int(SAMPLE_RATE * FRAME_SECONDS), "labels": button_labels()}
