#!/usr/bin/env bash
# Makes the TPM quote fixtures of TpmVerifierTest with a real software TPM: swtpm and
# tpm2-tools (Debian: apt-get install swtpm tpm2-tools). Run it from this folder; it rewrites
# quote-*.json and binding.hex. The fixtures are committed so the verifier's tests need no TPM.
set -euo pipefail
here=$(pwd)
work=$(mktemp -d)
trap 'kill "$swtpm_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=${PORT:-23610}
swtpm socket --tpm2 --server type=tcp,port=$port,bindaddr=127.0.0.1 --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
  --tpmstate dir="$work" --flags not-need-init,startup-clear &
swtpm_pid=$!
sleep 0.5
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
cd "$work"
flush() { tpm2_flushcontext --transient-object --loaded-session; }

# Measurements to quote: something other than the zeros of a fresh TPM.
tpm2_pcrextend "0:sha256=$(printf 'cmcp fixture firmware' | sha256sum | cut -c1-64)"
tpm2_pcrextend "7:sha256=$(printf 'cmcp fixture secure boot' | sha256sum | cut -c1-64),sha1=$(printf 'cmcp fixture secure boot' | sha1sum | cut -c1-40)"

# The binding: 64 bytes, as a gateway's; the quote's qualifying data is its SHA-256.
printf 'cmcp tpm fixture binding' | sha512sum | cut -c1-128 > "$here/binding.hex"
qualification=$(xxd -r -p "$here/binding.hex" | sha256sum | cut -c1-64)

b64url() { basenc --base64url -w0 "$1" | tr -d '='; }
pcr_json() { # bank, indexes..., reading the values file in order
  local bank=$1 size=$2 file=$3 offset=$4; shift 4
  local out="" sep=""
  for i in "$@"; do
    out+="$sep\"$i\":\"$(xxd -p -s "$offset" -l "$size" "$file" | tr -d '\n')\""; sep=","; offset=$((offset + size))
  done
  printf '"%s":{%s}' "$bank" "$out"
}

quote() { # name, key algorithm, signing scheme, pcr list; writes quote-<name>.json
  local name=$1 alg=$2 scheme=$3 list=$4
  tpm2_createek -c ek.ctx -G "$alg" -u ek.pub >/dev/null; flush
  tpm2_createak -C ek.ctx -c ak.ctx -G "$alg" -g sha256 -s "$scheme" -u ak.pub -n ak.name >/dev/null; flush
  tail -c +3 ak.pub > ak.tpmt   # TPM2B_PUBLIC -> TPMT_PUBLIC
  tpm2_quote -c ak.ctx -l "$list" -q "$qualification" -g sha256 --scheme "$scheme" -m attest.bin -s sig.bin -o pcrs.bin -F values >/dev/null; flush
  printf '%s' "$list" > list.txt
}

quote ecc ecc ecdsa sha256:0,1,2,3,4,5,6,7
printf '{"ak_public":"%s","attest":"%s","format":"cmcp-tpm-evidence-v1","pcrs":{%s},"signature":"%s"}' \
  "$(b64url ak.tpmt)" "$(b64url attest.bin)" "$(pcr_json sha256 32 pcrs.bin 0 0 1 2 3 4 5 6 7)" "$(b64url sig.bin)" \
  > "$here/quote-ecc.json"

# The quote's order: the sha1 bank first, then sha256.
quote rsassa rsa rsassa sha1:7+sha256:0,7
printf '{"ak_public":"%s","attest":"%s","format":"cmcp-tpm-evidence-v1","pcrs":{%s,%s},"signature":"%s"}' \
  "$(b64url ak.tpmt)" "$(b64url attest.bin)" "$(pcr_json sha1 20 pcrs.bin 0 7)" "$(pcr_json sha256 32 pcrs.bin 20 0 7)" "$(b64url sig.bin)" \
  > "$here/quote-rsassa.json"

quote rsapss rsa rsapss sha256:0,7
printf '{"ak_public":"%s","attest":"%s","format":"cmcp-tpm-evidence-v1","pcrs":{%s},"signature":"%s"}' \
  "$(b64url ak.tpmt)" "$(b64url attest.bin)" "$(pcr_json sha256 32 pcrs.bin 0 0 7)" "$(b64url sig.bin)" \
  > "$here/quote-rsapss.json"
echo "wrote quote-ecc.json quote-rsassa.json quote-rsapss.json binding.hex"
