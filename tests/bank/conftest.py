import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings


@pytest.fixture
def content_dir(tmp_path) -> Path:
    """A private copy of content/ that a test may edit."""
    target = tmp_path / "content"
    shutil.copytree(settings.BASE_DIR / "content", target)
    return target


def read_questions(content_dir: Path, deck: str) -> list[dict]:
    return yaml.safe_load((content_dir / "questions" / f"{deck}.yaml").read_text())


def write_questions(content_dir: Path, deck: str, questions: list[dict]) -> None:
    (content_dir / "questions" / f"{deck}.yaml").write_text(
        yaml.safe_dump(questions, allow_unicode=True, sort_keys=False)
    )
