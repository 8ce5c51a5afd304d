"""Where document files live: a folder under instance/documents/ behind a small interface,
so object storage can replace it later."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class FileStorage:
    def __init__(self, root: Path):
        self.root = root

    def put(self, name: str, data: bytes) -> tuple[str, str]:
        """Write atomically (a crash leaves the old file or the new one, never half); returns
        (stored path, SHA-256)."""
        path = (self.root / name).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("a document name may not leave the documents folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".writing-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
        return str(path), hashlib.sha256(data).hexdigest()

    def path(self, stored_path: str) -> Path:
        path = Path(stored_path).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("not a stored document")
        return path
