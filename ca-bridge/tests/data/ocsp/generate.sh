#!/bin/sh
# Regenerates the OCSP test responses from the Zhejiang (ECDSA P-256) demo CA copied here.
# Needs the openssl command line (3.0). Run from this directory: sh generate.sh
# The responses carry thisUpdate = the time of generation and nextUpdate 30 days later; the tests
# use fixed validation times inside and after that window (see tests/ocsp.rs), so after
# regenerating, update RESPONSES_MADE in tests/ocsp.rs.
set -eu
SRC=${SRC:-../../../../seeds/pki/bidders/zhejiang}
for f in root.pem issuing-ca.pem issuing-ca.key valid.pem revoked.pem arl.pem; do cp "$SRC/$f" .; done
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
subject() { openssl x509 -in "$1" -noout -subject -nameopt compat | sed 's/^subject=//'; }
printf 'V\t450101000000Z\t\t%s\tunknown\t%s\n' "$(serial valid.pem)" "$(subject valid.pem)" > index.txt
printf 'R\t450101000000Z\t260301000000Z,keyCompromise\t%s\tunknown\t%s\n' "$(serial revoked.pem)" "$(subject revoked.pem)" >> index.txt

# A delegated responder (EKU OCSPSigning) and an unauthorised one (no EKU), issued by the CA.
openssl ecparam -name prime256v1 -genkey -noout -out responder.key
openssl ecparam -name prime256v1 -genkey -noout -out rogue.key
cat > ext.cnf <<'CNF'
[ocsp]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
[rogue]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
CNF
openssl req -new -key responder.key -subj "/C=CN/O=YRD Demo Zhejiang CA/CN=YRD Demo Zhejiang OCSP Responder" -out responder.csr
openssl x509 -req -in responder.csr -CA issuing-ca.pem -CAkey issuing-ca.key -set_serial 4242 -days 3650 -extfile ext.cnf -extensions ocsp -out responder.pem
openssl req -new -key rogue.key -subj "/C=CN/O=YRD Demo Zhejiang CA/CN=YRD Demo Zhejiang Rogue Responder" -out rogue.csr
openssl x509 -req -in rogue.csr -CA issuing-ca.pem -CAkey issuing-ca.key -set_serial 4343 -days 3650 -extfile ext.cnf -extensions rogue -out rogue.pem

for leaf in valid revoked; do
  openssl ocsp -issuer issuing-ca.pem -cert $leaf.pem -no_nonce -reqout req-$leaf.der
  openssl ocsp -index index.txt -CA issuing-ca.pem -rsigner issuing-ca.pem -rkey issuing-ca.key -reqin req-$leaf.der -respout $leaf-by-ca.der -ndays 30
done
openssl ocsp -index index.txt -CA issuing-ca.pem -rsigner responder.pem -rkey responder.key -reqin req-valid.der -respout valid-by-responder.der -ndays 30
openssl ocsp -index index.txt -CA issuing-ca.pem -rsigner rogue.pem -rkey rogue.key -reqin req-valid.der -respout valid-by-rogue.der -ndays 30
# The issuing CA itself, as seen by the root (unknown to this responder's index).
openssl ocsp -issuer root.pem -cert issuing-ca.pem -no_nonce -reqout req-ca.der
openssl ocsp -index index.txt -CA root.pem -rsigner issuing-ca.pem -rkey issuing-ca.key -reqin req-ca.der -respout ca-unknown.der -ndays 30 || true
rm -f req-*.der *.csr ext.cnf responder.key rogue.key issuing-ca.key

# SM2 (Shanghai demo CA): OpenSSL 3.0 signs OCSP responses with an empty SM2 ID; tests/ocsp.rs
# re-signs the TBS bytes with the ID 1234567812345678 using sm2/issuing-ca.key.
S=${SRC_SM2:-../../../../seeds/pki/bidders/shanghai}
mkdir -p sm2
for f in root.pem issuing-ca.pem issuing-ca.key valid.pem arl.pem; do cp "$S/$f" sm2/; done
printf 'V\t450101000000Z\t\t%s\tunknown\t/CN=x\n' "$(serial sm2/valid.pem)" > index.txt
openssl ocsp -issuer sm2/issuing-ca.pem -cert sm2/valid.pem -no_nonce -reqout req-sm2.der
openssl ocsp -index index.txt -CA sm2/issuing-ca.pem -rsigner sm2/issuing-ca.pem -rkey sm2/issuing-ca.key \
  -reqin req-sm2.der -respout sm2/valid-by-ca-empty-id.der -ndays 30 -rmd sm3
rm -f req-sm2.der index.txt
