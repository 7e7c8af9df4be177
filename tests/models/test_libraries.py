"""The model libraries are imported on first use, and safely from several threads (models/libraries.py)."""
import subprocess
import sys
import textwrap

from tests.tests_paths import ROOT


def run_fresh(code: str) -> str:
    """Run `code` in a new interpreter (nothing imported yet) from the project root; its stdout."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_importing_the_app_does_not_import_transformers_or_scipy_signal():
    assert run_fresh("""
        import sys
        import app
        print(sorted(name for name in ("transformers", "scipy.signal") if name in sys.modules))
    """) == "[]"


def test_a_model_built_while_the_libraries_import_in_the_background_gets_them_whole():
    # Without IMPORT_LOCK this fails: "cannot import name 'ViTConfig' from 'transformers'" (its lazy module,
    # read by a second thread while the first one is still importing it).
    assert run_fresh("""
        import sys, threading, time
        from models.libraries import import_model_libraries
        errors = []

        def guarded(work):
            try:
                work()
            except Exception as error:
                errors.append(repr(error))

        def build_a_model_once_transformers_is_being_imported():
            while "transformers" not in sys.modules:
                time.sleep(0.001)
            from models.vision.digits import small_vit
            small_vit()

        threads = [threading.Thread(target=guarded, args=(import_model_libraries,)),
                   threading.Thread(target=guarded, args=(build_a_model_once_transformers_is_being_imported,))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(errors)
    """) == "[]"
