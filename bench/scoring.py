"""Scoring detections against labels: per family, session-level precision/recall/F1 and evidence hits.

Shared by `bench/baselines.py` and `bench/detect.py`, so the detectors and the baselines are measured
by the same arithmetic on the same sessions. Definitions:

* A prediction says, per session, which families fire and with which entry ids:
  `{session_id: {family: {entry_id, ...}}}` (a family with an empty set fired without citing entries).
* Labels say the same for the truth (`corpus.Labels`): a family present = the session is a positive.
  Every labelled session counts; a session the predictions do not mention predicted nothing.
  Predictions for sessions that have no label are not scored (reported as `unlabelled`).
* Per family: TP/FP/FN/TN over sessions; precision = TP/(TP+FP), recall = TP/(TP+FN), F1 their
  harmonic mean; undefined (None) when the denominator is 0.
* Evidence hits: of the findings on true-positive sessions, the share whose entry ids intersect the
  labelled entry ids of that session and family. `findings` (optional) lists individual findings as
  (session id, family, entry ids); without it, each (session, family) prediction is one finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from clawscope.model.detection import FAMILIES  # the family ids are the findings' JSON contract

Predictions = Mapping[str, Mapping[str, set[str]]]
Labels = Mapping[str, Mapping[str, set[str]]]
Finding = tuple[str, str, set[str]]


def ratio(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass
class FamilyScore:
    family: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    hit_findings: int = 0  # findings on true positives whose entry ids hit the labelled entries
    tp_findings: int = 0  # findings on true positives

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    @property
    def negatives(self) -> int:
        return self.fp + self.tn

    @property
    def precision(self) -> float | None:
        return ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None if p is None or r is None else 0.0
        return 2 * p * r / (p + r)

    @property
    def entry_hit_rate(self) -> float | None:
        return ratio(self.hit_findings, self.tp_findings)


@dataclass
class Table:
    families: list[FamilyScore]
    sessions: int
    unlabelled: set[str] = field(default_factory=set)  # predicted sessions that have no label

    def family(self, name: str) -> FamilyScore:
        return next(f for f in self.families if f.family == name)

    def as_dict(self) -> dict[str, object]:
        return {
            "sessions": self.sessions,
            "unlabelled": sorted(self.unlabelled),
            "families": {
                f.family: {
                    "tp": f.tp,
                    "fp": f.fp,
                    "fn": f.fn,
                    "tn": f.tn,
                    "precision": f.precision,
                    "recall": f.recall,
                    "f1": f.f1,
                    "entryHitRate": f.entry_hit_rate,
                }
                for f in self.families
            },
        }


def score(
    predictions: Predictions,
    labels: Labels,
    families: Iterable[str] = FAMILIES,
    findings: Iterable[Finding] | None = None,
) -> Table:
    """Score predictions against labels (see the module docstring for every definition)."""
    fams = list(families)
    table = Table([FamilyScore(f) for f in fams], len(labels), set(predictions) - set(labels))
    by_name = {f.family: f for f in table.families}
    for sid, truth in labels.items():
        predicted = predictions.get(sid, {})
        for fam in fams:
            s = by_name[fam]
            said, real = fam in predicted, fam in truth
            s.tp += said and real
            s.fp += said and not real
            s.fn += real and not said
            s.tn += not said and not real
    if findings is None:
        findings = [(sid, fam, set(ids)) for sid, fams_ in predictions.items() for fam, ids in fams_.items()]
    for sid, fam, ids in findings:
        truth = labels.get(sid, {})
        if fam not in by_name or fam not in truth:
            continue
        s = by_name[fam]
        s.tp_findings += 1
        s.hit_findings += bool(set(ids) & set(truth[fam]))
    return table


def merge(*tables: Table) -> Table:
    """Several corpora as one (counts add up)."""
    names = [f.family for f in tables[0].families] if tables else list(FAMILIES)
    out = Table([FamilyScore(n) for n in names], sum(t.sessions for t in tables))
    for t in tables:
        out.unlabelled |= t.unlabelled
        for f in t.families:
            o = out.family(f.family)
            o.tp += f.tp
            o.fp += f.fp
            o.fn += f.fn
            o.tn += f.tn
            o.hit_findings += f.hit_findings
            o.tp_findings += f.tp_findings
    return out


def _fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{x:.2f}"


def format_table(table: Table, title: str = "") -> str:
    """A Markdown table: one row per family."""
    head = f"**{title}** ({table.sessions} sessions)\n\n" if title else ""
    lines = [
        "| family | pos | neg | TP | FP | FN | precision | recall | F1 | entry hits |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in table.families:
        lines.append(
            f"| {f.family} | {f.positives} | {f.negatives} | {f.tp} | {f.fp} | {f.fn} | "
            f"{_fmt(f.precision)} | {_fmt(f.recall)} | {_fmt(f.f1)} | {_fmt(f.entry_hit_rate)} |"
        )
    return head + "\n".join(lines) + "\n"
