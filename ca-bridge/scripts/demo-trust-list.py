#!/usr/bin/env python3
"""Writes seeds/trust-list.source.json, the unsigned demo trust list, from the committed demo PKI.

The list has one bidder-signing-ca service per province and, when seeds/pki/tsa exists (made by
ca-bridge/scripts/demo-tsa.sh), the demo timestamping authority, listed last (under Zhejiang, the
last province) so that the bidder services keep their places.

Run from the workspace root after regenerating seeds/pki, then sign it (see seeds/README.md):

    python3 ca-bridge/scripts/demo-trust-list.py
    cargo run -q -p ca-bridge -- trust-list sign --key seeds/pki/bridge-operator.key \
        --cert seeds/pki/bridge-operator.pem seeds/trust-list.source.json > seeds/trust-list.json
"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
PKI = ROOT / "seeds" / "pki" / "bidders"
TSA = ROOT / "seeds" / "pki" / "tsa"

PROVINCES = [
    # province, region code, service id, service name, algorithms, credit code rules
    ("shanghai", "310000", "shanghai-demo-sm2-ca", "YRD Demo Shanghai CA (SM2)",
     ["sm2-sm3"], [{"extension": "1.2.156.10260.4.1.4"}]),
    ("jiangsu", "320000", "jiangsu-demo-rsa-ca", "YRD Demo Jiangsu CA (RSA)",
     ["rsa-pkcs1-sha256", "rsa-pss"], [{"extension": "1.2.86.11.7.4"}]),
    ("zhejiang", "330000", "zhejiang-demo-ecc-ca", "YRD Demo Zhejiang CA (ECC)",
     ["ecdsa-p256-sha256", "ecdsa-p384-sha384"],
     [{"extension": "1.2.156.10260.4.4"}, {"subject": "serialNumber"}]),
]


def pem(province, name):
    return (PKI / province / f"{name}.pem").read_text().strip() + "\n"


def main():
    provinces = []
    for province, region, sid, name, algs, rules in PROVINCES:
        provinces.append({
            "province": province,
            "region_code": region,
            "services": [{
                "id": sid,
                "name": name,
                "type": "bidder-signing-ca",
                "certificate": pem(province, "root"),
                "status": "granted",
                "status_history": [{"status": "granted", "from": "2025-01-01T00:00:00Z"}],
                "algorithms": algs,
                "sm2_id": "1234567812345678",
                "credit_code_rules": rules,
                "policies": [],
                "crl_urls": [
                    f"http://127.0.0.1/crl/{province}.crl",
                    f"http://127.0.0.1/crl/{province}-arl.crl",
                ],
                "ocsp_urls": [],
                "intermediates": [pem(province, "issuing-ca")],
            }],
        })
    if (TSA / "root.pem").exists():
        provinces[-1]["services"].append({
            "id": "yrd-demo-tsa",
            "name": "YRD Demo Timestamping Authority",
            "type": "timestamping-authority",
            "certificate": (TSA / "root.pem").read_text().strip() + "\n",
            "status": "granted",
            "status_history": [{"status": "granted", "from": "2025-01-01T00:00:00Z"}],
            "algorithms": ["ecdsa-p256-sha256"],
            "sm2_id": "1234567812345678",
            "credit_code_rules": [],
            "policies": [],
            "crl_urls": ["http://127.0.0.1/crl/tsa.crl"],
            "ocsp_urls": [],
            "intermediates": [],
        })
    doc = {
        "$schema": "../schemas/trust-list/trust-list.schema.json",
        "version": 1,
        "sequence": 1,
        "issued_at": "2026-11-01T00:00:00Z",
        "next_update": "2037-01-01T00:00:00Z",
        "operator": {"name": "YRD Mutual Recognition Bridge Operator (demo)"},
        "provinces": provinces,
    }
    out = ROOT / "seeds" / "trust-list.source.json"
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
