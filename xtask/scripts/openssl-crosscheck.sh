#!/bin/sh
# Cross-checks the demo PKI with the OpenSSL 3 command line (independent of the Rust tests).
#
# usage: xtask/scripts/openssl-crosscheck.sh [PKI_DIR]   (default: seeds/pki)
#
# Each line prints the expectation and the outcome; the script exits 1 if any outcome differs.
# SM2: `openssl verify -vfyopt distid:...` sets the ID on the target certificate only, so on a
# three-level chain the issuing CA's signature is still checked with an empty ID and fails. The
# SM2 links are therefore checked one at a time (`-partial_chain`), and SM2 CRLs (which
# `openssl crl -verify` cannot check with an ID) with `openssl pkeyutl -rawin -digest sm3`.
set -u
PKI=${1:-$(dirname "$0")/../../seeds/pki}
ID=1234567812345678
failures=0

# expect WANT(ok|fail) DESCRIPTION COMMAND...
expect() {
    want=$1; what=$2; shift 2
    if out=$("$@" 2>&1); then got=ok; else got=fail; fi
    if [ "$got" = "$want" ]; then mark=PASS; else mark=FAIL; failures=$((failures + 1)); fi
    printf '%s  expect %-4s got %-4s %s\n' "$mark" "$want" "$got" "$what"
    [ "$mark" = PASS ] || printf '      %s\n' "$(echo "$out" | tail -2 | tr '\n' ' ')"
}

# sm2_sig (cert|crl) OBJECT ISSUER_CERT ID: checks OBJECT's SM2 signature over its TBS bytes.
sm2_sig() {
    kind=$1; obj=$2; issuer=$3; id=$4
    t=$(mktemp -d)
    if [ "$kind" = crl ]; then
        openssl crl -in "$obj" -outform DER -out "$t/o.der"
    else
        openssl x509 -in "$obj" -outform DER -out "$t/o.der"
    fi
    # The TBS is the first element of the outer SEQUENCE: offset, header length, length.
    set -- $(openssl asn1parse -inform DER -in "$t/o.der" | sed -n 2p |
        sed -E 's/^ *([0-9]+):d=1 +hl= *([0-9]+) +l= *([0-9]+).*/\1 \2 \3/')
    dd if="$t/o.der" of="$t/tbs.der" bs=1 skip="$1" count=$(($2 + $3)) status=none
    # The signature is the content of the last BIT STRING: a DER SEQUENCE { r, s }.
    off=$(openssl asn1parse -inform DER -in "$t/o.der" | grep 'd=1 .*BIT STRING' | tail -1 |
        cut -d: -f1 | tr -d ' ')
    openssl asn1parse -inform DER -in "$t/o.der" -strparse "$off" -noout -out "$t/sig.der"
    openssl x509 -in "$issuer" -pubkey -noout >"$t/pub.pem"
    openssl pkeyutl -verify -pubin -inkey "$t/pub.pem" -rawin -digest sm3 \
        ${id:+-pkeyopt distid:$id} -in "$t/tbs.der" -sigfile "$t/sig.der"
    rc=$?
    rm -rf "$t"
    return $rc
}

# `openssl crl -verify` exits 0 even when the signature does not verify: read its message.
crl_verify() {
    openssl crl -noout -verify -in "$1" -CAfile "$2" 2>&1 | grep -qx 'verify OK'
}

echo "== TLS: server and platform certificates"
expect ok "server for localhost and 127.0.0.1" openssl verify -purpose sslserver \
    -verify_hostname localhost -verify_ip 127.0.0.1 -CAfile "$PKI/server-ca.pem" "$PKI/server.pem"
for p in shanghai jiangsu zhejiang operator; do
    expect ok "platforms/$p (clientAuth)" openssl verify -purpose sslclient \
        -CAfile "$PKI/platform-ca.pem" "$PKI/platforms/$p.pem"
done
expect fail "platforms/expired" openssl verify -CAfile "$PKI/platform-ca.pem" "$PKI/platforms/expired.pem"
expect fail "platforms/intruder under platform-ca" openssl verify \
    -CAfile "$PKI/platform-ca.pem" "$PKI/platforms/intruder.pem"
expect ok "platforms/intruder under intruder-ca" openssl verify \
    -CAfile "$PKI/platforms/intruder-ca.pem" "$PKI/platforms/intruder.pem"
expect ok "bridge-operator (self-signed, signature checked)" openssl verify -check_ss_sig \
    -CAfile "$PKI/bridge-operator.pem" "$PKI/bridge-operator.pem"

for p in jiangsu zhejiang; do
    d=$PKI/bidders/$p
    echo "== $p bidders"
    for n in valid revoked wrong-usage bad-credit-code; do
        expect ok "$p/$n (no CRL)" openssl verify -CAfile "$d/root.pem" -untrusted "$d/issuing-ca.pem" "$d/$n.pem"
    done
    expect fail "$p/expired" openssl verify -CAfile "$d/root.pem" -untrusted "$d/issuing-ca.pem" "$d/expired.pem"
    expect fail "$p/not-yet-valid" openssl verify -CAfile "$d/root.pem" -untrusted "$d/issuing-ca.pem" "$d/not-yet-valid.pem"
    expect ok "$p/valid with CRL and ARL" openssl verify -crl_check_all -CRLfile "$d/crl.pem" \
        -CRLfile "$d/arl.pem" -CAfile "$d/root.pem" -untrusted "$d/issuing-ca.pem" "$d/valid.pem"
    expect fail "$p/revoked with CRL and ARL" openssl verify -crl_check_all -CRLfile "$d/crl.pem" \
        -CRLfile "$d/arl.pem" -CAfile "$d/root.pem" -untrusted "$d/issuing-ca.pem" "$d/revoked.pem"
    expect ok "$p/crl.pem signed by issuing-ca" crl_verify "$d/crl.pem" "$d/issuing-ca.pem"
    expect ok "$p/arl.pem signed by root" crl_verify "$d/arl.pem" "$d/root.pem"
done

d=$PKI/bidders/shanghai
echo "== shanghai (SM2) bidders"
expect ok "issuing-ca under root, distid" openssl verify -vfyopt distid:$ID -CAfile "$d/root.pem" "$d/issuing-ca.pem"
expect fail "issuing-ca under root, no distid" openssl verify -CAfile "$d/root.pem" "$d/issuing-ca.pem"
for n in valid expired not-yet-valid revoked wrong-usage bad-credit-code; do
    expect ok "$n signature by issuing-ca, distid" sm2_sig cert "$d/$n.pem" "$d/issuing-ca.pem" $ID
done
for n in valid revoked wrong-usage bad-credit-code; do
    expect ok "$n under issuing-ca, distid" openssl verify -vfyopt distid:$ID -partial_chain \
        -CAfile "$d/issuing-ca.pem" "$d/$n.pem"
done
expect fail "valid under issuing-ca, no distid" openssl verify -partial_chain -CAfile "$d/issuing-ca.pem" "$d/valid.pem"
expect fail "expired under issuing-ca, distid" openssl verify -vfyopt distid:$ID -partial_chain \
    -CAfile "$d/issuing-ca.pem" "$d/expired.pem"
expect fail "valid, full chain in one command (OpenSSL sets the ID on the leaf only)" \
    openssl verify -vfyopt distid:$ID -CAfile "$d/root.pem" -untrusted "$d/issuing-ca.pem" "$d/valid.pem"
expect ok "root self-signature, distid" sm2_sig cert "$d/root.pem" "$d/root.pem" $ID
expect ok "crl.pem by issuing-ca, distid" sm2_sig crl "$d/crl.pem" "$d/issuing-ca.pem" $ID
expect fail "crl.pem by issuing-ca, empty ID" sm2_sig crl "$d/crl.pem" "$d/issuing-ca.pem" ""
expect ok "arl.pem by root, distid" sm2_sig crl "$d/arl.pem" "$d/root.pem" $ID
expect fail "arl.pem by root, empty ID" sm2_sig crl "$d/arl.pem" "$d/root.pem" ""
expect fail "openssl crl -verify on the SM2 CRL (no way to pass the ID)" \
    crl_verify "$d/crl.pem" "$d/issuing-ca.pem"

echo "failures: $failures"
[ "$failures" -eq 0 ]
