"""Teacher mode, for a projector: large type and no developer controls (both CSS, so the app is the same).

Developer controls (JSON views, file exports, the API link) carry the class `developer`."""
from studio import speech

HEADER_CSS = """
#studio-header { align-items: flex-start; }
#studio-language { flex-grow: 0; }
"""
TEACHER_CSS = """
.gradio-container { font-size: 125%; }
:root, .dark {
  --text-sm: 16px; --text-md: 20px; --text-lg: 24px; --text-xl: 30px; --text-xxl: 36px;
  --block-label-text-size: 18px; --block-info-text-size: 16px; --block-title-text-size: 20px;
  --section-header-text-size: 20px; --button-large-text-size: 22px; --button-small-text-size: 18px;
  --input-text-size: 20px; --checkbox-label-text-size: 18px;
}
.developer { display: none !important; }
"""


def css(teacher: bool) -> str:
    return speech.CSS + HEADER_CSS + (TEACHER_CSS if teacher else "")


def footer_links(teacher: bool) -> list[str]:
    """The Settings link holds Gradio's own language picker too; the API page is for developers."""
    return ["settings"] if teacher else ["api", "gradio", "settings"]
