"""examples/explore.ipynb: stored without outputs, and executed end to end in a kernel (skipped without one)."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "explore.ipynb"


def test_the_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_the_notebook_runs_end_to_end() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.km = client.create_kernel_manager()
    try:
        client.start_new_kernel()
        client.start_new_kernel_client()
    except Exception as error:  # no kernel spec, no ZeroMQ, a kernel that died on start: not this test's case
        if client.km.has_kernel:
            client.km.shutdown_kernel(now=True)
        pytest.skip(f"no Jupyter kernel could start: {type(error).__name__}: {error}")
    client.execute()  # in the kernel started above, which it shuts down; raises on the first failing cell
    shown = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in shown if o.output_type == "error"]
    kinds = [set(o.get("data", {})) for o in shown if o.output_type == "execute_result"]
    assert sum("image/svg+xml" in k for k in kinds) == 3  # the three charts
    assert sum("text/html" in k for k in kinds) >= 8  # schema, summary, tables, the explanation
    printed = "".join(o.get("text", "") for o in shown if o.output_type == "stream")
    assert "Reason: mailboxfull" in printed
