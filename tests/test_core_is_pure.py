import subprocess
import sys


def test_the_domain_core_imports_no_django():
    code = (
        "import sys, core.spec, core.analysis, core.bruteforce, core.documents, core.metrics;"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
