#!/usr/bin/env bash
# Regenerates the Training tab's spoken-word set in assets/audio/keywords/ with espeak-ng and sox:
# 8 command words × 8 voices × 2 speeds × 2 pitches = 256 clips, each trimmed of silence, 16 kHz mono
# 16-bit, no dither (reruns give the same samples), joined into one FLAC file;
# keywords.tsv says where each clip starts and how many samples it has.
set -euo pipefail
cd "$(dirname "$0")/audio/keywords"

words=(yes no up down left right stop go)
voices=(en-us en-us+f2 en-gb+m3 en-gb-x-rp+f4 en-gb-scotland en-029+f3 en-us-nyc+m5 en-gb-x-gbclan+f1)
speeds=(140 180)
pitches=(35 65)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'word\tvoice\tspeed\tpitch\tstart\tsamples\n' > keywords.tsv
start=0
clips=()
for word in "${words[@]}"; do
  for voice in "${voices[@]}"; do
    for speed in "${speeds[@]}"; do
      for pitch in "${pitches[@]}"; do
        clip="$work/$(printf '%04d' ${#clips[@]}).wav"
        espeak-ng -v "$voice" -s "$speed" -p "$pitch" -w "$work/raw.wav" "$word"
        # trim leading and trailing silence (below 1 % of full scale), keep 50 ms either side
        sox "$work/raw.wav" -D -r 16000 -c 1 -b 16 "$clip" \
          silence 1 0.01 1% reverse silence 1 0.01 1% reverse pad 0.05 0.05
        samples=$(soxi -s "$clip")
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$word" "$voice" "$speed" "$pitch" "$start" "$samples" >> keywords.tsv
        start=$((start + samples))
        clips+=("$clip")
      done
    done
  done
done
sox "${clips[@]}" -D keywords.flac
