#!/usr/bin/env bash
# Regenerates the example clips in assets/audio/ with espeak-ng and sox (16 kHz mono 16-bit wav,
# no dither, so reruns give the same bytes) and writes their rows of assets/audio/transcripts.tsv
# (file, language, reference text, voice); the rows of make_natural_audio.py (the piper voice) are kept.
set -euo pipefail
cd "$(dirname "$0")/audio"

# The plain cmn voice reads some characters with English letter sounds; pinyin + a female variant
# is what Whisper base recognises as Mandarin.
clips=(
  "en_weather.wav|en|en-us|The weather today is sunny and warm with a light breeze."
  "en_library.wav|en|en-us|Please return the books to the library by Friday."
  "en_coffee.wav|en|en-us|I would like a cup of coffee and a slice of cake."
  "en_train.wav|en|en-us|The last train to London leaves from the main station."
  "en_garden.wav|en|en-us|My sister planted tomatoes and beans in the garden."
  "zh_greeting.wav|zh|cmn-latn-pinyin+f3|你好，很高兴认识你。"
  "zh_library.wav|zh|cmn-latn-pinyin+f3|我每天早上去图书馆看书。"
)

raw=$(mktemp --suffix=.wav) kept=$(mktemp)
awk -F'\t' 'NR > 1 && $4 != "" && $4 !~ /^espeak-ng/' transcripts.tsv > "$kept"
printf 'file\tlanguage\ttext\tvoice\n' > transcripts.tsv
for clip in "${clips[@]}"; do
  IFS='|' read -r file language voice text <<< "$clip"
  espeak-ng -v "$voice" -s 150 -w "$raw" "$text"
  sox "$raw" -D -r 16000 -c 1 -b 16 "$file"
  printf '%s\t%s\t%s\t%s\n' "$file" "$language" "$text" "espeak-ng $voice" >> transcripts.tsv
done
cat "$kept" >> transcripts.tsv
rm -f "$raw" "$kept"
