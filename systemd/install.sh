#!/usr/bin/env bash
# Install Glimmer as a systemd service on Raspberry Pi OS (bookworm), from this source tree.
#
#   sudo systemd/install.sh                    install, or upgrade in place (run it again any time)
#   sudo systemd/install.sh --uninstall        remove the service and the program; keep the household's
#                                              data (/var/lib/glimmer), the config (/etc/glimmer) and the user
#   sudo systemd/install.sh --uninstall --purge   remove those too
#   systemd/install.sh --root DIR ...          do it all under DIR instead of / (tests); there, commands that
#                                              change the running system (apt-get, useradd, systemctl, ...)
#                                              are written to DIR/install-calls.log instead of run
#
# What it does, each step safe to repeat:
#   1. system packages: Python's venv, and numpy, scipy, lgpio, spidev, PyAudio from apt (no compiler);
#   2. the system user `glimmer`, in the groups of the devices it opens (i2c, spi, gpio, audio) and no other;
#   3. a virtual environment /opt/glimmer/venv (seeing apt's Python packages) with Glimmer installed or
#      upgraded in it, and /usr/local/bin/glimmer pointing at it for the admin's commands;
#   4. /etc/glimmer/config.toml from the shipped defaults, only if there is none (never overwritten);
#      /etc/glimmer/config.toml.default always holds the current shipped defaults, to compare;
#   5. I2C and SPI enabled: `raspi-config nonint do_i2c 0` / `do_spi 0` when raspi-config is there, else
#      the lines `dtparam=i2c_arm=on` and `dtparam=spi=on` in /boot/firmware/config.txt (or /boot/config.txt)
#      and `i2c-dev` in /etc/modules; a reboot is needed once after they change (it says so);
#   6. the unit in /etc/systemd/system, enabled and (re)started.
set -euo pipefail

SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="${GLIMMER_ROOT:-}"
ACTION=install
PURGE=0
HARDWARE=1
SERVICE_USER=glimmer
DEVICE_GROUPS=(i2c spi gpio audio)
APT_PACKAGES=(python3 python3-venv python3-pip python3-numpy python3-scipy python3-lgpio python3-spidev
              python3-pyaudio i2c-tools)

usage() {
  sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || { echo "install.sh: --root needs a directory" >&2; exit 2; }; ROOT="$2"; shift ;;
    --root=*) ROOT="${1#--root=}" ;;
    --uninstall) ACTION=uninstall ;;
    --purge) PURGE=1 ;;
    --no-hardware) HARDWARE=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$PURGE" = 1 ] && [ "$ACTION" != uninstall ]; then
  echo "install.sh: --purge goes with --uninstall" >&2
  exit 2
fi
ROOT="${ROOT%/}"
if [ -n "$ROOT" ] && [ ! -d "$ROOT" ]; then
  echo "install.sh: --root $ROOT is not a directory" >&2
  exit 2
fi

VENV=/opt/glimmer/venv
UNIT=/etc/systemd/system/glimmer.service
CONFIG_DIR=/etc/glimmer
STATE_DIR=/var/lib/glimmer
LINK=/usr/local/bin/glimmer

say() { printf 'glimmer install: %s\n' "$*"; }
at() { printf '%s%s' "$ROOT" "$1"; }  # a system path, under the root being installed into
test_root() { [ -n "$ROOT" ]; }

# A command that changes the running system: run it, or under a test root write it down instead.
system() {
  if test_root; then
    printf '%s\n' "$*" >> "$ROOT/install-calls.log"
  else
    "$@"
  fi
}

if ! test_root && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run it as root (sudo $0 $*)" >&2
  exit 1
fi

has_user() {
  if test_root; then grep -q "^$1:" "$(at /etc/passwd)" 2>/dev/null; else getent passwd "$1" >/dev/null; fi
}
has_group() {
  if test_root; then grep -q "^$1:" "$(at /etc/group)" 2>/dev/null; else getent group "$1" >/dev/null; fi
}

install_packages() {
  say "system packages: ${APT_PACKAGES[*]}"
  system env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"
}

ensure_user() {
  local group groups
  for group in "${DEVICE_GROUPS[@]}"; do
    has_group "$group" || system groupadd --system "$group"
  done
  groups="$(IFS=,; echo "${DEVICE_GROUPS[*]}")"
  if has_user "$SERVICE_USER"; then
    say "user $SERVICE_USER: supplementary groups set to $groups"
    system usermod --groups "$groups" "$SERVICE_USER"
  else
    say "user $SERVICE_USER: created (system user, no login, groups $groups)"
    system useradd --system --user-group --no-create-home --home-dir "$STATE_DIR" --shell /usr/sbin/nologin \
      --groups "$groups" "$SERVICE_USER"
  fi
}

install_program() {
  local venv
  venv="$(at "$VENV")"
  if [ ! -x "$venv/bin/python" ]; then
    say "virtual environment: $VENV"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv --system-site-packages "$venv"
  fi
  say "installing Glimmer from $SOURCE into $VENV"
  "$venv/bin/python" -m pip install --quiet --upgrade --upgrade-strategy only-if-needed "$SOURCE"
  install -m 0644 "$SOURCE/README.md" "$(at /opt/glimmer/README.md)"
  mkdir -p "$(at "$(dirname "$LINK")")"
  ln -sfn "$VENV/bin/glimmer" "$(at "$LINK")"
  say "version: $("$venv/bin/glimmer" --version)"
}

install_config() {
  local dir
  dir="$(at "$CONFIG_DIR")"
  mkdir -p "$dir"
  install -m 0644 "$SOURCE/device/default_config.toml" "$dir/config.toml.default"
  if [ -e "$dir/config.toml" ]; then
    say "config: $CONFIG_DIR/config.toml kept as it is (the shipped defaults are in config.toml.default)"
  else
    install -m 0640 "$SOURCE/device/default_config.toml" "$dir/config.toml"
    system chown "root:$SERVICE_USER" "$CONFIG_DIR/config.toml"
    say "config: $CONFIG_DIR/config.toml written from the shipped defaults; edit it, then" \
        "systemctl reload glimmer"
  fi
}

# Make `line` an active line of `file`: uncomment it if it is there commented out, else append it.
ensure_line() {
  local file="$1" line="$2"
  if grep -qxF "$line" "$file"; then
    return 1
  fi
  if grep -qx "#[[:space:]]*${line//./\\.}" "$file"; then
    sed -i "s|^#[[:space:]]*${line//./\\.}\$|$line|" "$file"
  else
    printf '%s\n' "$line" >> "$file"
  fi
}

enable_buses() {
  local boot changed=0
  if [ -x "$(at /usr/bin/raspi-config)" ]; then
    say "I2C and SPI: enabled with raspi-config"
    system raspi-config nonint do_i2c 0
    system raspi-config nonint do_spi 0
    return
  fi
  boot="$(at /boot/firmware/config.txt)"
  [ -e "$boot" ] || boot="$(at /boot/config.txt)"
  if [ ! -e "$boot" ]; then
    say "I2C and SPI: no raspi-config and no /boot/firmware/config.txt: enable them by hand" \
        "(dtparam=i2c_arm=on and dtparam=spi=on in the firmware's config.txt, i2c-dev in /etc/modules)"
    return
  fi
  ensure_line "$boot" "dtparam=i2c_arm=on" && changed=1
  ensure_line "$boot" "dtparam=spi=on" && changed=1
  mkdir -p "$(at /etc)"
  touch "$(at /etc/modules)"
  ensure_line "$(at /etc/modules)" "i2c-dev" && changed=1
  if [ "$changed" = 1 ]; then
    say "I2C and SPI: enabled in ${boot#"$ROOT"} and /etc/modules; reboot once for them to appear"
  else
    say "I2C and SPI: already enabled"
  fi
}

install_unit() {
  mkdir -p "$(at "$(dirname "$UNIT")")"
  install -m 0644 "$SOURCE/systemd/glimmer.service" "$(at "$UNIT")"
  system systemctl daemon-reload
  system systemctl enable glimmer.service
  system systemctl restart glimmer.service
  say "service: enabled and (re)started; see it with systemctl status glimmer, journalctl -u glimmer"
}

uninstall() {
  if [ -e "$(at "$UNIT")" ]; then
    system systemctl disable --now glimmer.service
    rm -f "$(at "$UNIT")"
    system systemctl daemon-reload
  fi
  if [ "$(readlink "$(at "$LINK")" 2>/dev/null)" = "$VENV/bin/glimmer" ]; then
    rm -f "$(at "$LINK")"
  fi
  rm -rf "$(at /opt/glimmer)"
  say "removed the service and the program"
  if [ "$PURGE" = 1 ]; then
    rm -rf "$(at "$STATE_DIR")" "$(at "$CONFIG_DIR")"
    if has_user "$SERVICE_USER"; then system userdel "$SERVICE_USER"; fi
    say "purged the household's data ($STATE_DIR), the config ($CONFIG_DIR) and the user $SERVICE_USER"
  else
    say "kept the household's data ($STATE_DIR), the config ($CONFIG_DIR) and the user $SERVICE_USER" \
        "(--uninstall --purge removes them)"
  fi
  say "I2C and SPI stay enabled (other devices may use them)"
}

if [ "$ACTION" = uninstall ]; then
  uninstall
  exit 0
fi
install_packages
ensure_user
install_program
install_config
if [ "$HARDWARE" = 1 ]; then enable_buses; fi
install_unit
