#!/bin/sh
# Regenerates the signature-algorithm test certificates (OpenSSL 3.0 command line): for each case a
# self-signed root and a leaf it signs; the keys are not kept. Run from this directory.
set -eu
cat > ext.cnf <<'CNF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
CNF
mk() { # name "genpkey options" signing options...
  n=$1; shift; kopt=$1; shift
  openssl genpkey $kopt -out $n-root.key
  openssl genpkey $kopt -out $n-leaf.key
  openssl req -x509 -key $n-root.key -subj "/C=CN/O=ca-bridge tests/CN=$n root" -days 7300 -set_serial 1 \
    -config ext.cnf -extensions ca "$@" -out $n-root.pem
  openssl req -new -key $n-leaf.key -subj "/C=CN/O=ca-bridge tests/CN=$n leaf" -config ext.cnf "$@" -out $n.csr
  openssl x509 -req -in $n.csr -CA $n-root.pem -CAkey $n-root.key -set_serial 2 -days 3650 \
    -extfile ext.cnf -extensions leaf "$@" ${VFY:-} -out $n-leaf.pem
  rm -f $n-root.key $n-leaf.key $n.csr
}
RSA2048="-algorithm RSA -pkeyopt rsa_keygen_bits:2048"
mk rsa-pss "$RSA2048" -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32
mk rsa-pss-sha512 "-algorithm RSA -pkeyopt rsa_keygen_bits:3072" -sha512 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:64
mk rsa-sha1 "$RSA2048" -sha1
mk md5 "$RSA2048" -md5
mk rsa-1024 "-algorithm RSA -pkeyopt rsa_keygen_bits:1024" -sha256
mk ecdsa-sha1 "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" -sha1
mk ecdsa-p384 "-algorithm EC -pkeyopt ec_paramgen_curve:P-384" -sha384
mk ecdsa-p521 "-algorithm EC -pkeyopt ec_paramgen_curve:P-521" -sha512
VFY="-vfyopt distid:1234567812345678" mk sm2 "-algorithm EC -pkeyopt ec_paramgen_curve:SM2" -sm3 -sigopt distid:1234567812345678
VFY="-vfyopt distid:" mk sm2-empty-id "-algorithm EC -pkeyopt ec_paramgen_curve:SM2" -sm3
rm -f ext.cnf
