#!/usr/bin/env bash
# Regenerates the hotline's Ukrainian voice prompts and hold music:
#
#   asterisk/sounds/uk/hotline/<id>.wav   every prompt of ivr/prompts/catalogue.yaml
#   asterisk/sounds/uk/digits/<n>.wav     numbers (digits/0 … digits/59)
#   asterisk/sounds/moh/hotline/*.wav     hold music for musiconhold.conf's class "hotline"
#
# Speech comes from espeak-ng's Ukrainian voice, converted by sox to what
# Asterisk plays without transcoding: WAV, 8 kHz, 16-bit, mono, trimmed and
# normalised. The output is reproducible (same texts, same tools → same
# bytes), so unchanged prompts show no diff. A studio recording can replace
# any file under the same name.
#
# Usage: scripts/gen-sounds.sh        (or: make sounds)
# Environment: SPEECH_RATE (words per minute, default 150).
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

rate="${SPEECH_RATE:-150}"
voice=uk
out_uk=asterisk/sounds/uk
out_moh=asterisk/sounds/moh/hotline

# --- tools -----------------------------------------------------------------
missing=()
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v sox >/dev/null 2>&1 || missing+=(sox)
if ((${#missing[@]})); then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
		echo "gen-sounds: installing ${missing[*]} with apt-get" >&2
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	else
		echo "gen-sounds: missing ${missing[*]}; install them first, e.g.:" >&2
		echo "  sudo apt-get install espeak-ng sox" >&2
		exit 1
	fi
fi
if ! command -v go >/dev/null 2>&1; then
	echo "gen-sounds: go is needed to read the catalogue (Go 1.26, /usr/local/go/bin)" >&2
	exit 1
fi
if ! espeak-ng --voices="$voice" | awk 'NR > 1 {found = 1} END {exit !found}'; then
	echo "gen-sounds: espeak-ng has no '$voice' voice (Debian's espeak-ng-data has it)" >&2
	exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The catalogue, one prompt a line: id, sound path, kind, text.
go run ./ivr/prompts/internal/list >"$tmp/catalogue.tsv"

# sox options: -R repeatable (fixed random seed), -D no dither (keeps silence
# silent and the output byte-identical between runs).
sox_out=(-R -D -r 8000 -c 1 -b 16 -e signed-integer -t wav)

speak() { # text → WAV file
	local text="$1" dest="$2"
	espeak-ng -v "$voice" -s "$rate" -w "$tmp/raw.wav" -- "$text"
	# Trim espeak's leading/trailing silence, keep a short natural pause on
	# both ends (the server plays prompts back to back), cut the rumble a
	# phone line does not carry (with headroom so the filter cannot clip),
	# and normalise to -3 dBFS peak so every prompt has the same loudness.
	sox -R -D "$tmp/raw.wav" "${sox_out[@]}" "$dest" \
		silence 1 0.02 -45d reverse silence 1 0.02 -45d reverse \
		gain -n -6 highpass 100 norm -3 pad 0.05 0.15
}

tone() { # 1 kHz beep, 0.25 s, with 10 ms ramps so it does not click
	sox -R -D -n "${sox_out[@]}" "$1" synth 0.25 sine 1000 fade t 0.01 0.25 0.01 gain -6
}

# Build everything in a scratch tree first, then replace the generated
# directories whole, so a prompt removed from the catalogue loses its WAV.
build="$tmp/build"
n=0
while IFS=$'\t' read -r id path kind text; do
	dest="$build/uk/$path.wav"
	mkdir -p "$(dirname "$dest")"
	case "$kind" in
	speech) speak "$text" "$dest" ;;
	tone) tone "$dest" ;;
	*)
		echo "gen-sounds: $id: unknown kind $kind" >&2
		exit 1
		;;
	esac
	n=$((n + 1))
done <"$tmp/catalogue.tsv"

# Hold music: a slow, soft I–vi–IV–V sequence (C, Am, F, G), 7.5 s a chord,
# about 30 s in all; Asterisk loops it. Each chord is a quiet sine pad with a
# gentle plucked arpeggio over it. Everything sits between 260 Hz and 1.6 kHz:
# phone lines and mobile codecs drop what is lower, and plain tones survive
# G.711 well and cannot be mistaken for speech.
hz() { awk -v f="$1" -v m="$2" 'BEGIN { printf "%.2f", f * m }'; }
chord() { # dest root third fifth (Hz, the octave above middle C)
	local dest="$1" r="$2" t="$3" f="$4" i=0 note
	sox -R -D -r 8000 -c 4 -n "$tmp/pad4.wav" synth 7.5 \
		sine "$(hz "$r" 0.5)" sine "$r" sine "$t" sine "$f"
	sox -R -D "$tmp/pad4.wav" "${sox_out[@]}" "$tmp/pad.wav" \
		remix - tremolo 0.25 15 fade q 1.5 7.5 1.5 gain -n -18
	local notes=("$r" "$t" "$f" "$(hz "$r" 2)" "$f" "$t" "$r" "$t")
	for note in "${notes[@]}"; do
		sox -R -D -n "${sox_out[@]}" "$tmp/note$i.wav" synth 0.9375 pluck "$note" fade q 0.005 0.9375 0.6
		i=$((i + 1))
	done
	sox -R -D "$tmp"/note{0..7}.wav "${sox_out[@]}" "$tmp/arp.wav" gain -n -20 fade q 0.5 7.5 1.2
	sox -R -D -m "$tmp/pad.wav" "$tmp/arp.wav" "${sox_out[@]}" "$dest" gain -n -12
}
mkdir -p "$build/moh"
chord "$tmp/c1.wav" 523.25 659.25 783.99 # C
chord "$tmp/c2.wav" 440.00 523.25 659.25 # Am
chord "$tmp/c3.wav" 349.23 440.00 523.25 # F
chord "$tmp/c4.wav" 392.00 493.88 587.33 # G
sox -R -D "$tmp"/c{1,2,3,4}.wav "${sox_out[@]}" "$build/moh/hotline-chords.wav"

for d in hotline digits; do
	rm -rf "${out_uk:?}/$d"
	if [[ -d "$build/uk/$d" ]]; then
		mkdir -p "$out_uk"
		cp -r "$build/uk/$d" "$out_uk/$d"
	fi
done
rm -rf "$out_moh"
mkdir -p "$out_moh"
cp "$build/moh/"*.wav "$out_moh/"

size="$(du -ch "$out_uk"/*/*.wav "$out_moh"/*.wav | tail -n 1 | cut -f 1)"
echo "gen-sounds: $n prompts in $out_uk, hold music in $out_moh ($size in all)"
