#!/usr/bin/env python3
"""Regenerates the sample announcements under seeds/announcements/<dialect>/{ok,warn,err}/.

An independent writer of the three provinces' formats (it shares no code with the Rust crate, so the
tests that read these files also check the two implementations against each other). The `err/`
samples and every `*.expected.json` are written by hand and left alone.

    python3 seeds/announcements/generate.py
"""
import json, os, copy

HERE = os.path.dirname(os.path.abspath(__file__))
ALPHA = "0123456789ABCDEFGHJKLMNPQRTUWXY"
W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc(body17):
    s = sum(ALPHA.index(c) * w for c, w in zip(body17, W))
    return body17 + ALPHA[(31 - s % 31) % 31]


# Operators of the three platforms and some parties (check characters computed, so valid).
OPS = {
    "shanghai": (uscc("12310000MB2F30001"), uscc("11310000MB1C20001")),
    "jiangsu": (uscc("12320000MB0A71002"), uscc("11320000MB1H61002")),
    "zhejiang": (uscc("12330000MB1D42003"), uscc("11330000MB2K53003")),
}
ORG = {
    "qp_gov": ("上海市青浦区建设和管理委员会", uscc("11310118MB0P10001"), "上海市青浦区公园路100号"),
    "wj_gov": ("苏州市吴江区住房和城乡建设局", uscc("11320509MB1W20002"), "苏州市吴江区中山南路1979号"),
    "js_gov": ("嘉善县住房和城乡建设局", uscc("11330421MB2J30003"), "嘉善县罗星街道谈公南路90号"),
    "agency1": ("上海建科工程咨询有限公司", uscc("91310118MA1G40011"), "上海市青浦区华新镇华志路1号"),
    "agency2": ("江苏省华建工程咨询有限公司", uscc("91320509MA1X50022"), "苏州市吴江区江兴东路88号"),
    "agency3": ("浙江嘉源招标代理有限公司", uscc("91330421MA2C60033"), "嘉善县魏塘街道施家南路8号"),
    "b1": ("上海青建集团有限公司", uscc("91310118MA1K70101")),
    "b2": ("苏州吴江建设工程有限公司", uscc("91320509MA1Y80202")),
    "b3": ("浙江嘉善建工集团有限公司", uscc("91330421MA2D90303")),
    "b4": ("中交第三航务工程局有限公司", uscc("91310000132210144")),
    "b5": ("长三角一体化示范区城建有限公司", uscc("91310118MA1H20505")),
    "land": ("嘉善县自然资源和规划局", uscc("11330421MB1R40606"), "嘉善县罗星街道"),
    "sasac": ("苏州市吴江区国有资产监督管理办公室", uscc("11320509MB0T50707"), "苏州市吴江区"),
}


def party(key, contact=None):
    name, code, *rest = ORG[key]
    p = {"name": name, "credit_code": code}
    if rest:
        p["address"] = rest[0]
    if contact:
        p["contact"] = contact
    return p


def bidder(key):
    name, code, *_ = ORG[key]
    return {"name": name, "credit_code": code}


def money(amount, unit="yuan", form="amount"):
    return {"amount": amount, "currency": "CNY", "unit": unit, "form": form}


def t(s):
    return s + "+08:00"


def base(platform, nid, num, kind, category, title, project, region, place, published, tenderer, agency=None):
    a = {
        "kind": kind,
        "category": category,
        "source": {"platform": platform, "notice_id": nid, "url": f"https://ggzy.{platform}.example.cn/notice/{nid}.html"},
        "notice_number": num,
        "title": title,
        "body_html": f"<p>{title}</p><p>详见招标文件。联系电话见下文 &amp; 附件。</p>",
        "project": project,
        "tenderer": tenderer,
        "operators": {"platform_code": OPS[platform][0], "service_platform_code": OPS[platform][1]},
        "region": region,
        "trade_place": place,
        "times": {"published": t(published)},
    }
    if agency:
        a["agency"] = agency
    return a


def samples(platform, county, unit):
    """Twelve notices of one platform; `unit` is how the platform states amounts."""
    P = platform[:2].upper()
    reg = {"shanghai": "310118", "jiangsu": "320509", "zhejiang": "330421"}[platform]
    gov = {"shanghai": "qp_gov", "jiangsu": "wj_gov", "zhejiang": "js_gov"}[platform]
    ag = {"shanghai": "agency1", "jiangsu": "agency2", "zhejiang": "agency3"}[platform]
    other_regions = {"shanghai": ("320509", "330421"), "jiangsu": ("330421", "310118"), "zhejiang": ("310118", "320509")}[platform]
    def code(seq, r=reg):
        return f"E{r}2026{seq:09d}"
    contact = {"name": "王工", "phone": "021-59730000", "email": "zb@example.cn"}
    out = []

    # 01 construction tender, two sections
    pc = code(1)
    a = base(platform, f"{P}-2026-0101", f"{P}ZB2026-001", "tender", "construction",
             f"{county}示范区水乡客厅道路工程施工招标公告",
             {"code": pc, "name": f"{county}示范区水乡客厅道路工程", "project_type": "A02"},
             reg, reg, "2026-03-02T09:00:00", party(gov, contact), party(ag, {"name": "李明", "phone": "0512-63000000"}))
    a["sections"] = [
        {"code": pc + "001", "name": "一标段（道路）", "budget": money("12680000.5")},
        {"code": pc + "002", "name": "二标段（桥梁）", "budget": money("8350000")},
    ]
    a["unified_deal_codes"] = [f"YRD-{reg}-2026-000101"]
    a["times"].update({"documents_from": t("2026-03-02T09:00:00"), "documents_until": t("2026-03-09T17:00:00"),
                       "bid_deadline": t("2026-03-24T09:30:00"), "bid_opening": t("2026-03-24T09:30:00")})
    a["budget"] = money("21030000.5")
    a["attachments"] = [{"name": "招标文件.pdf", "url": f"https://ggzy.{platform}.example.cn/files/{P}-0101.pdf",
                         "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]
    out.append(("01-construction-tender", a))
    tender = a

    # 02 correction of 01
    a = copy.deepcopy(tender)
    a.update(kind="correction", title=f"{county}示范区水乡客厅道路工程施工招标更正公告")
    a["source"] = {"platform": platform, "notice_id": f"{P}-2026-0102", "url": f"https://ggzy.{platform}.example.cn/notice/{P}-2026-0102.html"}
    a["notice_number"] = f"{P}ZB2026-001-GZ1"
    a["original"] = {"notice_id": f"{P}-2026-0101", "notice_number": f"{P}ZB2026-001"}
    a["times"]["published"] = t("2026-03-05T10:00:00")
    a["changes"] = [{"item": "资格条件", "before": "市政公用工程施工总承包二级", "after": "市政公用工程施工总承包一级"}]
    del a["attachments"]
    out.append(("02-construction-correction", a))

    # 03 clarification of 01
    a = copy.deepcopy(out[-1][1])
    a.update(kind="clarification", title=f"{county}示范区水乡客厅道路工程招标文件澄清公告")
    a["source"]["notice_id"] = f"{P}-2026-0103"
    a["source"]["url"] = f"https://ggzy.{platform}.example.cn/notice/{P}-2026-0103.html"
    a["notice_number"] = f"{P}ZB2026-001-CQ1"
    a["times"]["published"] = t("2026-03-06T15:30:00")
    a["changes"] = [{"item": "工程量清单", "after": "第3.2条桥面铺装工程量以澄清后清单为准"}]
    out.append(("03-construction-clarification", a))

    # 04 extension of 01
    a = copy.deepcopy(out[-1][1])
    a.update(kind="extension", title=f"{county}示范区水乡客厅道路工程投标截止时间延期公告")
    a["source"]["notice_id"] = f"{P}-2026-0104"
    a["source"]["url"] = f"https://ggzy.{platform}.example.cn/notice/{P}-2026-0104.html"
    a["notice_number"] = f"{P}ZB2026-001-YQ1"
    a["times"].update({"published": t("2026-03-18T09:00:00"), "bid_deadline": t("2026-03-31T09:30:00"), "bid_opening": t("2026-03-31T09:30:00")})
    a["changes"] = [{"item": "投标截止时间", "before": "2026-03-24 09:30", "after": "2026-03-31 09:30"}]
    out.append(("04-construction-extension", a))

    # 05 candidate publicity for 01
    a = base(platform, f"{P}-2026-0105", f"{P}ZB2026-001-HX", "candidate_publicity", "construction",
             f"{county}示范区水乡客厅道路工程中标候选人公示",
             {"code": pc, "name": f"{county}示范区水乡客厅道路工程", "project_type": "A02"},
             reg, reg, "2026-04-02T09:00:00", party(gov), party(ag))
    a["sections"] = [{"code": pc + "001", "name": "一标段（道路）"}, {"code": pc + "002", "name": "二标段（桥梁）"}]
    a["times"].update({"publicity_start": t("2026-04-02T09:00:00"), "publicity_end": t("2026-04-07T17:00:00")})
    a["candidates"] = [
        {"section_code": pc + "001", "rank": 1, "bidder": bidder("b1"), "bid_price": money("12150000", unit), "evaluated_price": money("12150000", unit)},
        {"section_code": pc + "001", "rank": 2, "bidder": bidder("b2"), "bid_price": money("12286400.8", unit)},
        {"section_code": pc + "001", "rank": 3, "bidder": bidder("b3"), "bid_price": money("12399000", unit)},
        {"section_code": pc + "002", "rank": 1, "bidder": bidder("b4"), "bid_price": money("8015000", unit)},
        {"section_code": pc + "002", "rank": 2, "bidder": bidder("b5"), "bid_price": money("8102300", unit)},
    ]
    a["candidates"] = [dict(c, bid_price=money(conv(c["bid_price"]["amount"], unit), unit),
                            **({"evaluated_price": money(conv(c["evaluated_price"]["amount"], unit), unit)} if "evaluated_price" in c else {}))
                       for c in a["candidates"]]
    out.append(("05-construction-candidates", a))

    # 06 award result for 01, section 2 won by a consortium
    a = base(platform, f"{P}-2026-0106", f"{P}ZB2026-001-JG", "award_result", "construction",
             f"{county}示范区水乡客厅道路工程中标结果公告",
             {"code": pc, "name": f"{county}示范区水乡客厅道路工程", "project_type": "A02"},
             reg, reg, "2026-04-10T09:00:00", party(gov), party(ag))
    a["sections"] = [{"code": pc + "001", "name": "一标段（道路）"}, {"code": pc + "002", "name": "二标段（桥梁）"}]
    a["awards"] = [
        {"section_code": pc + "001", "winner": bidder("b1"), "price": money(conv("12150000", unit), unit)},
        {"section_code": pc + "002", "winner": bidder("b4"), "price": money(conv("8015000", unit), unit),
         "consortium_members": [bidder("b5")]},
    ]
    out.append(("06-construction-award", a))

    # 07 government procurement tender (project in another county of the zone)
    gc = code(7, other_regions[0]).replace("E", "G", 1)
    a = base(platform, f"{P}-2026-0107", f"{P}CG2026-007", "tender", "government_procurement",
             "示范区跨域一体化智慧交通信号系统采购公告",
             {"code": gc, "name": "示范区跨域一体化智慧交通信号系统"},
             other_regions[0], reg, "2026-03-10T10:00:00", party(gov, contact), party(ag))
    a["sections"] = [{"code": gc + "001", "name": "信号控制设备", "budget": money("3600000")}]
    a["times"].update({"documents_from": t("2026-03-10T10:00:00"), "documents_until": t("2026-03-17T17:00:00"),
                       "bid_deadline": t("2026-03-31T14:00:00"), "bid_opening": t("2026-03-31T14:00:00")})
    a["budget"] = money("3600000")
    out.append(("07-procurement-tender", a))
    proc = a

    # 08 termination (failed tender) of 07
    a = copy.deepcopy(proc)
    a.update(kind="termination", title="示范区跨域一体化智慧交通信号系统采购项目流标（终止）公告")
    a["source"]["notice_id"] = f"{P}-2026-0108"
    a["source"]["url"] = f"https://ggzy.{platform}.example.cn/notice/{P}-2026-0108.html"
    a["notice_number"] = f"{P}CG2026-007-ZZ"
    a["original"] = {"notice_id": f"{P}-2026-0107", "notice_number": f"{P}CG2026-007"}
    a["times"] = {"published": t("2026-04-01T16:00:00")}
    a["termination"] = {"kind": "failed_tender", "reason": "有效投标人不足三家，依法流标", "approved_at": t("2026-04-01T11:00:00")}
    del a["budget"]
    a["sections"] = [{"code": gc + "001", "name": "信号控制设备"}]
    out.append(("08-procurement-termination", a))

    # 09 land use tender in the third county
    lc = code(9, other_regions[1]).replace("E", "L", 1)
    a = base(platform, f"{P}-2026-0109", f"{P}TD2026-009", "tender", "land_use",
             "示范区先行启动区地块国有建设用地使用权挂牌出让公告",
             {"code": lc, "name": "先行启动区2026-09号地块"},
             other_regions[1], reg, "2026-03-12T09:00:00", party("land"))
    a["times"].update({"documents_from": t("2026-03-12T09:00:00"), "documents_until": t("2026-04-10T16:00:00"),
                       "bid_deadline": t("2026-04-11T10:00:00")})
    a["budget"] = money("268000000")
    out.append(("09-land-tender", a))

    # 10 mining prequalification
    mc = code(10).replace("E", "M", 1)
    a = base(platform, f"{P}-2026-0110", f"{P}KQ2026-010", "prequalification", "mining",
             "建筑用砂探矿权出让资格预审公告",
             {"code": mc, "name": "示范区建筑用砂探矿权"}, reg, reg, "2026-03-15T09:00:00", party("land"), party(ag))
    a["times"].update({"documents_from": t("2026-03-16T09:00:00"), "documents_until": t("2026-03-20T17:00:00"),
                       "bid_deadline": t("2026-03-27T10:00:00")})
    out.append(("10-mining-prequalification", a))

    # 11 state property transfer notice
    sc = code(11).replace("E", "S", 1)
    a = base(platform, f"{P}-2026-0111", f"{P}CQ2026-011", "tender", "state_property",
             "示范区城投公司所持物业公司100%股权转让公告",
             {"code": sc, "name": "物业公司100%股权转让"}, reg, reg, "2026-03-20T09:00:00", party("sasac"), party(ag))
    a["times"].update({"documents_from": t("2026-03-20T09:00:00"), "bid_deadline": t("2026-04-17T17:00:00")})
    a["budget"] = money("15680000")
    out.append(("11-state-property-tender", a))

    # 12 other trade: award with a rate
    oc = code(12).replace("E", "Q", 1)
    a = base(platform, f"{P}-2026-0112", f"{P}QT2026-012", "award_result", "other",
             "示范区公共资源交易中心物业服务成交结果公告",
             {"code": oc, "name": "交易中心物业服务"}, reg, reg, "2026-04-15T09:00:00", party(gov), party(ag))
    a["sections"] = [{"code": oc + "001", "name": "物业服务"}]
    a["awards"] = [{"section_code": oc + "001", "winner": bidder("b5"), "price": money("8.5", "percent", "rate")}]
    out.append(("12-other-award-rate", a))
    return out


def conv(amount_yuan, unit):
    from decimal import Decimal
    d = Decimal(amount_yuan)
    if unit == "ten_thousand_yuan":
        d = d / Decimal(10000)
    return fmt_dec(d)


def fmt_dec(d):
    s = format(d.normalize(), "f")
    return s


# --- writers -----------------------------------------------------------------------------------

from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr


def in_unit(m, unit):
    if m["unit"] == "percent":
        return m["amount"]
    d = Decimal(m["amount"])
    if m["unit"] == "ten_thousand_yuan":
        d *= 10000
    if unit == "ten_thousand_yuan":
        d /= 10000
    return fmt_dec(d)


def iso(s):  # "2026-03-02T09:00:00+08:00" -> "2026-03-02T09:00:00"
    return s[:19]


def space(s):
    return s[:10] + " " + s[11:19]


def compact(s):
    return s[:19].replace("-", "").replace(":", "").replace("T", "")


def cat_code(dialect, category, kind):
    for line in open(os.path.join(HERE, "../../schemas/codes/categories.csv"), encoding="utf-8"):
        if line.startswith("#") or line.startswith("dialect,"):
            continue
        f = line.strip().split(",")
        if f[0] == dialect and f[2] == category and kind in f[3].split("|"):
            return f[1]
    raise SystemExit(f"no code for {dialect} {category} {kind}")


FORMS = {"amount": "1", "rate": "2", "unit_price": "3", "other": "9"}
TERM = {"failed_tender": "1", "opening_terminated": "2", "withdrawn": "3", "other": "9"}


def shanghai(a):
    root = {"tender": "tenderBulletin", "prequalification": "tenderBulletin", "correction": "amendBulletin",
            "clarification": "amendBulletin", "extension": "amendBulletin", "candidate_publicity": "winCandidateBulletin",
            "award_result": "winBidBulletin", "termination": "terminateBulletin"}[a["kind"]]
    L = ['<?xml version="1.0" encoding="UTF-8"?>', f"<{root}>"]
    e = lambda n, v, i=2: L.append(" " * i + f"<{n}>{escape(v)}</{n}>")
    e("bulletinId", a["source"]["notice_id"])
    e("platform", a["source"]["platform"])
    e("bulletinCode", a["notice_number"])
    e("channel", cat_code("shanghai", a["category"], a["kind"]))
    if a["kind"] == "prequalification":
        e("bulletinType", "prequalification")
    if root == "amendBulletin":
        e("amendType", a["kind"])
    if "original" in a:
        L.append(f'  <originalBulletin id={quoteattr(a["original"]["notice_id"])} code={quoteattr(a["original"]["notice_number"])}/>')
    e("title", a["title"])
    e("content", a["body_html"])
    e("publishTime", iso(a["times"]["published"]))
    e("url", a["source"]["url"])
    pt = f' type="{a["project"]["project_type"]}"' if "project_type" in a["project"] else ""
    L.append(f'  <project code="{a["project"]["code"]}"{pt}>{escape(a["project"]["name"])}</project>')
    if a.get("sections"):
        L.append("  <sections>")
        for s in a["sections"]:
            b = f' budget="{in_unit(s["budget"], "yuan")}"' if "budget" in s else ""
            L.append(f'    <section code="{s["code"]}"{b}>{escape(s["name"])}</section>')
        L.append("  </sections>")
    if a.get("unified_deal_codes"):
        L.append("  <dealCodes>")
        for d in a["unified_deal_codes"]:
            e("dealCode", d, 4)
        L.append("  </dealCodes>")
    for el, key in (("tenderer", "tenderer"), ("agency", "agency")):
        if key not in a:
            continue
        p = a[key]
        L.append(f'  <{el} creditCode="{p["credit_code"]}">')
        e("name", p["name"], 4)
        if "address" in p:
            e("address", p["address"], 4)
        if "contact" in p:
            c = p["contact"]
            attrs = "".join(f" {k}={quoteattr(c[v])}" for k, v in (("name", "name"), ("phone", "phone"), ("email", "email")) if v in c)
            L.append(f"    <contact{attrs}/>")
        L.append(f"  </{el}>")
    o = a["operators"]
    L.append(f'  <operators platformCode="{o["platform_code"]}" servicePlatformCode="{o["service_platform_code"]}"/>')
    L.append(f'  <region project="{a["region"]}" tradePlace="{a["trade_place"]}"/>')
    tm = a["times"]
    names = [("docStart", "documents_from"), ("docEnd", "documents_until"), ("bidDeadline", "bid_deadline"),
             ("bidOpening", "bid_opening"), ("publicityStart", "publicity_start"), ("publicityEnd", "publicity_end")]
    attrs = "".join(f' {x}="{iso(tm[y])}"' for x, y in names if y in tm)
    if attrs:
        L.append(f"  <schedule{attrs}/>")
    if "budget" in a:
        e("budget", in_unit(a["budget"], "yuan"))
    if a.get("changes"):
        L.append("  <changes>")
        for c in a["changes"]:
            b = f" before={quoteattr(c['before'])}" if "before" in c else ""
            L.append(f"    <change item={quoteattr(c['item'])}{b}>{escape(c['after'])}</change>")
        L.append("  </changes>")
    if a.get("candidates"):
        L.append("  <candidates>")
        for c in a["candidates"]:
            ev = f' evaluatedPrice="{in_unit(c["evaluated_price"], "yuan")}"' if "evaluated_price" in c else ""
            L.append(f'    <candidate section="{c["section_code"]}" rank="{c["rank"]}" creditCode="{c["bidder"]["credit_code"]}" '
                     f'bidPrice="{in_unit(c["bid_price"], "yuan")}"{ev}>{escape(c["bidder"]["name"])}</candidate>')
        L.append("  </candidates>")
    if a.get("awards"):
        L.append("  <winners>")
        for w in a["awards"]:
            pf = "" if w["price"]["form"] == "amount" else f' priceForm="{w["price"]["form"]}"'
            L.append(f'    <winner section="{w["section_code"]}" creditCode="{w["winner"]["credit_code"]}"{pf} price="{in_unit(w["price"], "yuan")}">')
            e("name", w["winner"]["name"], 6)
            for m in w.get("consortium_members", []):
                L.append(f'      <member creditCode="{m["credit_code"]}">{escape(m["name"])}</member>')
            L.append("    </winner>")
        L.append("  </winners>")
    if "termination" in a:
        x = a["termination"]
        at = f' approvedTime="{iso(x["approved_at"])}"' if "approved_at" in x else ""
        L.append(f'  <termination type="{TERM[x["kind"]]}"{at}>')
        e("reason", x["reason"], 4)
        L.append("  </termination>")
    if a.get("attachments"):
        L.append("  <attachments>")
        for f in a["attachments"]:
            L.append(f'    <attachment name={quoteattr(f["name"])} url={quoteattr(f["url"])} sha256="{f["sha256"]}"/>')
        L.append("  </attachments>")
    L.append(f"</{root}>")
    return "\n".join(L) + "\n"


def put(d, k, v):
    if v is not None:
        d[k] = v


def jiangsu(a):
    u = "ten_thousand_yuan"
    d = {"infoid": a["source"]["notice_id"], "zhuanzai": a["source"]["platform"], "linkurl": a["source"]["url"],
         "noticeno": a["notice_number"], "categorynum": cat_code("jiangsu", a["category"], a["kind"])}
    if "original" in a:
        d["yggid"] = a["original"]["notice_id"]
        d["yggno"] = a["original"]["notice_number"]
    d.update(title=a["title"], content=a["body_html"], projectcode=a["project"]["code"], projectname=a["project"]["name"])
    put(d, "projecttype", a["project"].get("project_type"))
    if a.get("sections"):
        d["bdlist"] = [dict({"bdcode": s["code"], "bdname": s["name"]}, **({"bdys": in_unit(s["budget"], u)} if "budget" in s else {})) for s in a["sections"]]
    if a.get("unified_deal_codes"):
        d["dealcodes"] = a["unified_deal_codes"]
    def pty(p):
        x = {"name": p["name"], "code": p["credit_code"]}
        put(x, "address", p.get("address"))
        if "contact" in p:
            x["lxr"] = p["contact"]["name"]
            put(x, "tel", p["contact"].get("phone"))
            put(x, "email", p["contact"].get("email"))
        return x
    d["zbr"] = pty(a["tenderer"])
    if "agency" in a:
        d["dljg"] = pty(a["agency"])
    d["platformcode"] = a["operators"]["platform_code"]
    d["servicecode"] = a["operators"]["service_platform_code"]
    d["xiaqucode"] = a["region"]
    d["infod"] = a["trade_place"]
    tm = a["times"]
    d["infodate"] = space(tm["published"])
    for k, c in (("wjhqstart", "documents_from"), ("wjhqend", "documents_until"), ("tbjzsj", "bid_deadline"),
                 ("kbsj", "bid_opening"), ("gsstart", "publicity_start"), ("gsend", "publicity_end")):
        if c in tm:
            d[k] = space(tm[c])
    if "budget" in a:
        d["ysje"] = in_unit(a["budget"], u)
    if a.get("changes"):
        d["bgnr"] = [dict({"bgx": c["item"]}, **({"bgq": c["before"]} if "before" in c else {}), bgh=c["after"]) for c in a["changes"]]
    if a.get("candidates"):
        d["hxrlist"] = [dict({"bdcode": c["section_code"], "pm": str(c["rank"]), "name": c["bidder"]["name"], "code": c["bidder"]["credit_code"],
                              "jgxs": FORMS[c["bid_price"]["form"]], "tbbj": in_unit(c["bid_price"], u)},
                             **({"psjg": in_unit(c["evaluated_price"], u)} if "evaluated_price" in c else {})) for c in a["candidates"]]
    if a.get("awards"):
        d["zbjglist"] = [dict({"bdcode": w["section_code"], "name": w["winner"]["name"], "code": w["winner"]["credit_code"],
                               "jgxs": FORMS[w["price"]["form"]], "zbje": in_unit(w["price"], u)},
                              **({"lhtcy": [{"name": m["name"], "code": m["credit_code"]} for m in w["consortium_members"]]} if w.get("consortium_members") else {}))
                         for w in a["awards"]]
    if "termination" in a:
        x = a["termination"]
        d["zzlx"] = TERM[x["kind"]]
        d["zzyy"] = x["reason"]
        put(d, "pzsj", space(x["approved_at"]) if "approved_at" in x else None)
    if a.get("attachments"):
        d["fjlist"] = [{"fjmc": f["name"], "fjurl": f["url"], "sha256": f["sha256"]} for f in a["attachments"]]
    return json.dumps(d, ensure_ascii=False, indent=2) + "\n"


def zhejiang(a):
    amounts = [a.get("budget")] + [s.get("budget") for s in a.get("sections", [])] + \
        [c["bid_price"] for c in a.get("candidates", [])] + [w["price"] for w in a.get("awards", [])]
    units = [m["unit"] for m in amounts if m and m["unit"] != "percent"]
    u = units[0] if units else None
    d = {"NOTICE_ID": a["source"]["notice_id"], "DATA_SOURCE": a["source"]["platform"], "URL": a["source"]["url"],
         "TENDER_SELF_CODE": a["notice_number"], "CATEGORY_CODE": cat_code("zhejiang", a["category"], a["kind"])}
    change = a["kind"] in ("correction", "clarification", "extension", "termination")
    d["NOTICE_NATURE"] = "2" if change else "1"
    put(d, "BULLETIN_TYPE", {"tender": "1", "prequalification": "2", "candidate_publicity": "3", "award_result": "3"}.get(a["kind"]))
    if "original" in a:
        d["ORIGINAL_NOTICE_ID"] = a["original"]["notice_id"]
        d["ORIGINAL_TENDER_SELF_CODE"] = a["original"]["notice_number"]
    d.update(NOTICE_NAME=a["title"], NOTICE_CONTENT=a["body_html"], TENDER_PROJECT_CODE=a["project"]["code"],
             TENDER_PROJECT_NAME=a["project"]["name"])
    put(d, "TENDER_PROJECT_TYPE", a["project"].get("project_type"))
    if u:
        d["PRICE_UNIT"] = "0" if u == "yuan" else "1"
    if a.get("sections"):
        d["BID_SECTIONS"] = [dict({"BID_SECTION_CODE": s["code"], "BID_SECTION_NAME": s["name"]},
                                  **({"BID_SECTION_BUDGET": in_unit(s["budget"], u)} if "budget" in s else {})) for s in a["sections"]]
    if a.get("unified_deal_codes"):
        d["UNIFIED_DEAL_CODES"] = ";".join(a["unified_deal_codes"])
    def pty(prefix, p):
        d[prefix + "_NAME"] = p["name"]
        d[prefix + "_CODE"] = p["credit_code"]
        put(d, prefix + "_ADDRESS", p.get("address"))
        if "contact" in p:
            d[prefix + "_CONTACTOR"] = p["contact"]["name"]
            put(d, prefix + "_PHONE_NUMBER", p["contact"].get("phone"))
            put(d, prefix + "_EMAIL", p["contact"].get("email"))
    pty("TENDERER", a["tenderer"])
    if "agency" in a:
        pty("TENDER_AGENCY", a["agency"])
    d["PLATFORM_CODE"] = a["operators"]["platform_code"]
    d["PUB_SERVICE_PLAT_CODE"] = a["operators"]["service_platform_code"]
    d["REGION_CODE"] = a["region"]
    d["TRA_PLACE_CODE"] = a["trade_place"]
    tm = a["times"]
    d["NOTICE_SEND_TIME"] = compact(tm["published"])
    for k, c in (("DOC_GET_START_TIME", "documents_from"), ("DOC_GET_END_TIME", "documents_until"),
                 ("POST_BID_CLOSING_TIME" if change else "BID_DOC_REFER_END_TIME", "bid_deadline"),
                 ("BID_OPEN_TIME", "bid_opening"), ("PUBLICITY_START_TIME", "publicity_start"), ("PUBLICITY_END_TIME", "publicity_end")):
        if c in tm:
            d[k] = compact(tm[c])
    if "budget" in a:
        d["BUDGET_AMOUNT"] = in_unit(a["budget"], u)
    if a.get("changes"):
        d["CHANGE_ITEMS"] = [dict({"CHANGE_ITEM": c["item"]}, **({"BEFORE_CHANGE": c["before"]} if "before" in c else {}), AFTER_CHANGE=c["after"]) for c in a["changes"]]
    if a.get("candidates"):
        d["CANDIDATES"] = [dict({"BID_SECTION_CODE": c["section_code"], "RANK": str(c["rank"]), "BIDDER_NAME": c["bidder"]["name"],
                                 "BIDDER_CODE": c["bidder"]["credit_code"], "PRICE_FORM_CODE": FORMS[c["bid_price"]["form"]],
                                 "BID_PRICE": in_unit(c["bid_price"], u)},
                                **({"EVALUATED_PRICE": in_unit(c["evaluated_price"], u)} if "evaluated_price" in c else {})) for c in a["candidates"]]
    if a.get("awards"):
        d["WIN_BIDDERS"] = [dict({"BID_SECTION_CODE": w["section_code"], "WIN_BIDDER_NAME": w["winner"]["name"],
                                  "WIN_BIDDER_CODE": w["winner"]["credit_code"], "PRICE_FORM_CODE": FORMS[w["price"]["form"]],
                                  "BID_AMOUNT": in_unit(w["price"], u)},
                                 **({"UNION_MEMBERS": [{"UNION_NAME": m["name"], "UNION_CODE": m["credit_code"]} for m in w["consortium_members"]]} if w.get("consortium_members") else {}))
                            for w in a["awards"]]
    if "termination" in a:
        x = a["termination"]
        d["EXCEPTION_TYPE"] = TERM[x["kind"]]
        d["EXCEPTION_REASON"] = x["reason"]
        put(d, "APPROVAL_TIME", compact(x["approved_at"]) if "approved_at" in x else None)
    if a.get("attachments"):
        d["ATTACHMENTS"] = [{"ATTACHMENT_NAME": f["name"], "ATTACHMENT_URL": f["url"], "ATTACHMENT_SHA256": f["sha256"]} for f in a["attachments"]]
    return json.dumps(d, ensure_ascii=False, indent=2) + "\n"


def write(path, text, encoding="utf-8"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding=encoding, newline="\n") as f:
        f.write(text)


def main():
    sets = {
        "shanghai": (samples("shanghai", "青浦", "yuan"), shanghai, "xml"),
        "jiangsu": (samples("jiangsu", "吴江", "ten_thousand_yuan"), jiangsu, "json"),
        "zhejiang": (samples("zhejiang", "嘉善", "ten_thousand_yuan"), zhejiang, "json"),
    }
    for dialect, (items, writer, ext) in sets.items():
        for name, a in items:
            write(os.path.join(HERE, dialect, "ok", f"{name}.{ext}"), writer(a))
        # 13: the same tender once more, in the platform's legacy encoding or with its quirks.
        first = copy.deepcopy(items[0][1])
        first["source"]["notice_id"] += "-B"
        first["project"]["code"] = first["project"]["code"][:-1] + "9"
        for s in first["sections"]:
            s["code"] = first["project"]["code"] + s["code"][-3:]
        if dialect == "shanghai":
            text = writer(first).replace('encoding="UTF-8"', 'encoding="GB18030"')
            write(os.path.join(HERE, dialect, "ok", "13-construction-tender-gb18030.xml"), text, "gb18030")
        else:
            first["title"] += "（重新招标）"
            write(os.path.join(HERE, dialect, "ok", f"13-construction-tender-retender.{ext}"), writer(first))
        # warn/: a bidding period shorter than 20 days and a pilot-era credit code.
        w = copy.deepcopy(items[6][1])
        w["source"]["notice_id"] += "-W"
        w["times"]["bid_deadline"] = t("2026-03-25T14:00:00")
        w["times"]["bid_opening"] = t("2026-03-25T14:00:00")
        w["agency"]["credit_code"] = "91350100M0001TGQXM"
        write(os.path.join(HERE, dialect, "warn", f"short-period-pilot-code.{ext}"), writer(w))


if __name__ == "__main__":
    main()
