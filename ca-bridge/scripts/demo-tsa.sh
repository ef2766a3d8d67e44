#!/bin/sh
# Creates the demo timestamping authority (seeds/pki/tsa/) with the OpenSSL command line, additively:
# nothing else under seeds/pki is read or written, so the fingerprints that tests pin stay the same.
#
#   ca-bridge/scripts/demo-tsa.sh [OUT_DIR]      # default: seeds/pki/tsa (run from the workspace root)
#
# Writes root.key/root.pem (the TSA's root CA, the trust-list anchor), tsa.key/tsa.pem (the time
# stamping unit: extendedKeyUsage timeStamping, critical, as RFC 3161 2.3 requires) and crl.pem (the
# root's CRL, empty). ECDSA P-256 with SHA-256; keys are PKCS#8 PEM. Dates are fixed (see
# seeds/README.md); keys and serials are new on every run, so re-running means re-signing the demo
# trust list (it pins root.pem) and nothing else.
set -eu

OUT=${1:-seeds/pki/tsa}
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/ca.cnf" <<CNF
[ ca ]
default_ca = tsa_root

[ tsa_root ]
dir = $work
database = $work/index.txt
new_certs_dir = $work
crlnumber = $work/crlnumber
serial = $work/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
email_in_dn = no
crl_extensions = crl_ext

[ any ]
countryName = optional
organizationName = optional
commonName = supplied

[ req ]
distinguished_name = dn
string_mask = utf8only
utf8 = yes
prompt = no

[ dn ]
CN = placeholder

[ v3_root ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_tsa ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:http://127.0.0.1/crl/tsa.crl

[ crl_ext ]
authorityKeyIdentifier = keyid:always
CNF
: > "$work/index.txt"
echo 01 > "$work/crlnumber"
echo 01 > "$work/serial"

# Runs a command, showing its chatter only when it fails.
quiet() { "$@" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }; }
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
key "$OUT/root.key"
key "$OUT/tsa.key"

openssl req -new -config "$work/ca.cnf" -key "$OUT/root.key" -out "$work/root.csr" \
    -subj "/C=CN/O=YRD Demo Timestamping Authority/CN=YRD Demo TSA Root CA"
quiet openssl ca -batch -notext -config "$work/ca.cnf" -selfsign -rand_serial -extensions v3_root \
    -startdate 20250101000000Z -enddate 20451231235959Z \
    -keyfile "$OUT/root.key" -in "$work/root.csr" -out "$OUT/root.pem"

openssl req -new -config "$work/ca.cnf" -key "$OUT/tsa.key" -out "$work/tsa.csr" \
    -subj "/C=CN/O=YRD Demo Timestamping Authority/CN=YRD Demo Time Stamping Unit"
quiet openssl ca -batch -notext -config "$work/ca.cnf" -rand_serial -extensions v3_tsa \
    -startdate 20250101000000Z -enddate 20451231235959Z \
    -cert "$OUT/root.pem" -keyfile "$OUT/root.key" -in "$work/tsa.csr" -out "$OUT/tsa.pem"

quiet openssl ca -gencrl -config "$work/ca.cnf" -cert "$OUT/root.pem" -keyfile "$OUT/root.key" \
    -crl_lastupdate 20260301000000Z -crl_nextupdate 20450101000000Z -out "$OUT/crl.pem"

# Sanity: the chain and the CRL verify, the unit is a TSA certificate.
openssl verify -attime 1772323200 -x509_strict -purpose timestampsign -CAfile "$OUT/root.pem" "$OUT/tsa.pem" >/dev/null
openssl crl -in "$OUT/crl.pem" -CAfile "$OUT/root.pem" -noout 2>&1 | grep -q "verify OK"
echo "wrote $OUT/root.key root.pem tsa.key tsa.pem crl.pem"
