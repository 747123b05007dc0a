"""Publication-safe pictures (national Order 799 Art. 22): before footage or a report leaves for
the public, faces, licence plates and other sensitive personal information must be protected.
`Masker` finds people (the bundled SSD detector, class ``person``) and any text (the bundled
OCR's text detector: plates, name tags, screens, signs) and pixelates them; `mask_image` is the
pure part, over boxes already found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from cctv_guard.media.evidence import blur_regions

Box = tuple[float, float, float, float]

PERSON_MIN_SCORE = 0.2  # lower than the privacy scan's: a missed person would be published unmasked
PAD = 0.15  # each box grown by this share of its size on every side


def mask_image(image: np.ndarray, boxes: Sequence[Box], pad: float = PAD) -> np.ndarray:
    """A copy of `image` with every box pixelated beyond recognition (pure)."""
    return blur_regions(image, list(boxes), pad=pad)


@dataclass(frozen=True)
class Masker:
    """The models that find what must not be published, loaded once."""

    detector: Any  # detection.SsdDetector
    reader: Any  # detection.SignReader

    @classmethod
    def load(cls) -> "Masker":
        """The bundled detector and text reader (ModelError, one line, when one is missing)."""
        from cctv_guard import detection

        shared = detection.load_models()
        return cls(shared.ssd, shared.signs)

    def regions(self, image: np.ndarray) -> list[Box]:
        """People and text in `image`, in its pixels."""
        people = self.detector.detect(image, min_score=PERSON_MIN_SCORE).with_labels(["person"])
        return [tuple(float(v) for v in d.box) for d in people] + list(self.reader.text_boxes(image))

    def mask(self, image: np.ndarray) -> np.ndarray:
        """`image` with its people and text pixelated."""
        return mask_image(image, self.regions(image))
