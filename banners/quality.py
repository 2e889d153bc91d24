"""The quality score of a banner (0–100) from the checks compose measured on its layout and pixels,
and the facts the copy had no room for. A banner under settings.QUALITY_MIN_SCORE is flagged, with
the reasons, for the marketer and the designer."""

from __future__ import annotations

from django.conf import settings

# (report key, penalty per count or when true, reason): what costs how much.
PENALTIES = (
    ("overlaps", 30, "text overlaps text or the picture"),
    ("boxes_outside_canvas", 30, "an element leaves the canvas"),
    ("text_outside_box", 25, "a text does not fit its box"),
    ("outside_safe_zone", 15, "text or logo in the platform's unsafe zone"),
    ("picture_missing", 10, "no picture (none in the bank fits)"),
)


def quality_score(report: dict, *, facts_dropped: list[str] | None = None) -> dict:
    """{"score", "flagged", "reasons"} for a compose report."""
    score, reasons = 100.0, []
    for key, penalty, reason in PENALTIES:
        count = int(report.get(key) or 0)
        if count:
            score -= penalty * count
            reasons.append(reason if count == 1 else f"{reason} ({count}×)")
    low = report.get("low_contrast") or []
    if low:
        score -= 20 * len(low)
        reasons.append(f"low contrast: {', '.join(low)}")
    for fact in facts_dropped or []:
        score -= 10
        reasons.append(f"fact left out: {fact}")
    if (report.get("shrunk_share") or 0) > 0.5:
        score -= 5
        reasons.append("most texts shrunk to fit")
    coverage = report.get("picture_coverage") or 0
    if not report.get("picture_missing") and 0 < coverage < 0.04:
        score -= 5
        reasons.append(f"the picture covers only {coverage:.0%} of the banner")
    score = max(0, round(score))
    return {"score": score, "flagged": score < settings.QUALITY_MIN_SCORE, "reasons": reasons}
