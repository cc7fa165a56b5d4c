#!/bin/sh
# Entrypoint of the hotline's Asterisk container.
#
# Asterisk's config files cannot read environment variables, and passwords do
# not belong in git or in the image. So the image keeps the config files as
# templates (/usr/local/share/hotline-asterisk/*.conf) in which {{NAME}}
# stands for the environment variable NAME, and this script writes the real
# files to /etc/asterisk at every start, then runs the command (asterisk -f).
#
# It stops with an error naming every variable that is missing, rather than
# start an Asterisk with empty passwords. Variables (see .env.example):
#   ASTERISK_ARI_PASSWORD       ARI password of the hotline server (required)
#   ASTERISK_EXTERNAL_IP        the host's address as phones/provider see it (required)
#   OPERATOR_PASSWORD_DEFAULT   SIP password of every softphone without its own…
#   OPERATOR_PASSWORD_OP101 …   …per softphone (OP101…OP105, DUTY1)
#   TRUNK_HOST, TRUNK_USERNAME, TRUNK_PASSWORD   the provider's SIP account (required)
#   TRUNK_PORT                  default 5060
#   TRUNK_MATCH                 provider addresses calls come from (default TRUNK_HOST)
#   TRUNK_QUALIFY_FREQUENCY     seconds between OPTIONS pings of the provider
#                               (default 0: none, see pjsip.conf [trunk] aor)
#   HOTLINE_DID                 number residents dial (default: any number)
#   MONITOR_PASSWORD            SIP password of the server's probe call (endpoint monitor, required)
set -eu

templates="${HOTLINE_ASTERISK_TEMPLATES:-/usr/local/share/hotline-asterisk}"
confdir="${ASTERISK_CONFIG_DIR:-/etc/asterisk}"
recordings="${ASTERISK_RECORDING_DIR:-/var/spool/asterisk/recording}"

: "${TRUNK_PORT:=5060}"
: "${TRUNK_MATCH:=${TRUNK_HOST:-}}"
: "${TRUNK_QUALIFY_FREQUENCY:=0}"
: "${HOTLINE_DID:=_[+0-9a-zA-Z].}"
export TRUNK_PORT TRUNK_MATCH TRUNK_QUALIFY_FREQUENCY HOTLINE_DID

case "$TRUNK_QUALIFY_FREQUENCY" in
*[!0-9]*)
	echo "docker-entrypoint: TRUNK_QUALIFY_FREQUENCY must be a number of seconds (0: do not qualify the trunk), got \"$TRUNK_QUALIFY_FREQUENCY\"" >&2
	exit 1 ;;
esac

# render TEMPLATE OUTPUT: replaces {{NAME}} with $NAME outside comment lines.
# awk reads the values from its environment, so passwords with &, \, / or |
# need no escaping. A value may not contain ";" (Asterisk's comment sign) or
# a line break. OPERATOR_PASSWORD_X falls back to OPERATOR_PASSWORD_DEFAULT.
render() {
	awk -v file="$1" '
	function value(name,    v) {
		v = ENVIRON[name]
		if (v == "" && name ~ /^OPERATOR_PASSWORD_/)
			v = ENVIRON["OPERATOR_PASSWORD_DEFAULT"]
		return v
	}
	function fail(msg) {
		if (!(msg in said)) {
			print "docker-entrypoint: " file ": " msg > "/dev/stderr"
			said[msg] = 1
		}
		bad = 1
	}
	/^[ \t]*;/ { print; next }
	{
		line = $0
		out = ""
		while (match(line, /[{][{][A-Z][A-Z0-9_]*[}][}]/)) {
			name = substr(line, RSTART + 2, RLENGTH - 4)
			v = value(name)
			if (v == "") {
				if (name ~ /^OPERATOR_PASSWORD_/)
					fail(name " is not set (nor OPERATOR_PASSWORD_DEFAULT)")
				else
					fail(name " is not set")
			} else if (v ~ /[;\r\n]/) {
				fail(name " must not contain \";\" or line breaks")
			}
			out = out substr(line, 1, RSTART - 1) v
			line = substr(line, RSTART + RLENGTH)
		}
		print out line
	}
	END { exit bad }' "$1" >"$2"
}

if ! ls "$templates"/*.conf >/dev/null 2>&1; then
	echo "docker-entrypoint: no config templates in $templates" >&2
	exit 1
fi
mkdir -p "$confdir"
failed=0
for tmpl in "$templates"/*.conf; do
	name="$(basename "$tmpl")"
	if render "$tmpl" "$confdir/.$name.new"; then
		mv "$confdir/.$name.new" "$confdir/$name"
	else
		rm -f "$confdir/.$name.new"
		failed=1
	fi
done
if [ "$failed" != 0 ]; then
	echo "docker-entrypoint: set the variables above in .env (see .env.example); Asterisk not started" >&2
	exit 1
fi

# Asterisk runs as the asterisk user (asterisk.conf: runuser): it may read
# its config but not change it, and nobody else may read the passwords.
if id asterisk >/dev/null 2>&1; then
	chown root:asterisk "$confdir" "$confdir"/*.conf
	chmod 0750 "$confdir"
	chmod 0640 "$confdir"/*.conf
	# The recordings volume (shared with the hotline server) may be new and
	# owned by root: Asterisk writes the residents' messages into it.
	mkdir -p "$recordings"
	chown asterisk:asterisk "$recordings"
	chmod 0755 "$recordings"
fi

exec "$@"
