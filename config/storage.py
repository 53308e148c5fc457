"""Static files in production: hashed names, compressed copies (WhiteNoise), and the ES modules'
`import` statements rewritten to the hashed names too, so that a page never loads a new room.js with
an old module from a cache."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
