"""The reference model conformance checks a log against: declared for the ticketlens
vocabulary, discovered from the log itself everywhere else, saved and edited as TOML."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from mine_support import generated_desk, ingested, workspace_with
from ticketlens.analyses import mine
from ticketlens.cli import cli
from ticketlens.core.errors import AnalysisError

# Helpdesk, measured: its 7 most frequent variants cover 3,701 of 4,580 tickets (80.8 %).
HELPDESK_TICKETS, TOP_VARIANTS, COVERED = 4_580, 7, 3_701
DISCOVERED_FIT = 3_988  # the kept variants, and 287 tickets that recombine their steps
# The generated desk (3,000 tickets, seed 11) against its declared lifecycle, as before
# discovery existed: 2,759 fit, 241 reopened tickets do not (2,744 and 256 on the desk as it
# was generated before issue 11's queues).
DESK_FIT = 2_759


@pytest.fixture(scope="module")
def helpdesk(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("helpdesk")
    return Path(str(ingested(folder, "helpdesk", real_data / "helpdesk.csv")))


@pytest.fixture(scope="module")
def desk_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.getbasetemp()
    return Path(str(ingested(folder, "generated", generated_desk(folder))))


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


# --- discovery on a log without a declared model ----------------------------------------------

def test_helpdesk_is_checked_against_a_model_discovered_from_its_variants(helpdesk: Path
                                                                         ) -> None:
    """Not "0 of 4,580 fit" against the generated desk's lifecycle: the 7 variants covering
    80 % of tickets are the model, so at least those tickets fit."""
    result = mine.conformance(helpdesk)
    assert result.model_kind == "discovered"
    assert result.model_how == ("discovered from the 7 most frequent variants covering 80.8 % of "
                                "tickets (coverage set to 80 %)")
    kept = mine.variants(helpdesk, coverage=0.8)
    assert (len(kept), int(kept["cases"].sum())) == (TOP_VARIANTS, COVERED)
    assert (result.cases, result.fitting) == (HELPDESK_TICKETS, DISCOVERED_FIT)
    assert result.fitting >= COVERED
    assert result.unmodelled == ["Create SW anomaly", "DUPLICATE", "INVALID", "RESOLVED",
                                 "Require upgrade", "Resolve SW anomaly",
                                 "Schedule intervention", "VERIFIED"]


def test_the_coverage_slider_moves_the_fit_with_the_share_it_covers(helpdesk: Path) -> None:
    """A higher coverage keeps more variants, so the model only grows and the fit never drops;
    at 100 % every ticket's path is in the model."""
    fits = {}
    for coverage in (0.5, 0.8, 0.95, 1.0):
        covered = int(mine.variants(helpdesk, coverage=coverage)["cases"].sum())
        fits[coverage] = mine.conformance(helpdesk, coverage=coverage).fitting
        assert fits[coverage] >= covered
    assert fits[0.5] <= fits[0.8] <= fits[0.95] <= fits[1.0] == HELPDESK_TICKETS
    assert fits[0.8] == DISCOVERED_FIT


def test_the_noise_slider_drops_rare_edges_and_the_activities_left_without_a_path() -> None:
    """A→B→C three times, A→D→C once: with min_frequency 2 the D steps go, and D with them."""
    rows = []
    for n, middle in enumerate(["B", "B", "B", "D"]):
        rows += [(f"T{n}", 0, "A", "x"), (f"T{n}", 1, middle, "x"), (f"T{n}", 2, "C", "x")]
    db = workspace_with(rows)
    full = mine.discover_model(db, coverage=1.0)
    assert full.transitions == {"A": ("B", "D"), "B": ("C",), "D": ("C",)}
    assert (full.start, full.end, full.support[("A", "D")]) == (("A",), ("C",), 1)
    pruned = mine.discover_model(db, coverage=1.0, min_frequency=2)
    assert pruned.transitions == {"A": ("B",), "B": ("C",)}
    assert pruned.how.endswith("edges seen fewer than 2 times dropped and with them 1 activity)")
    fit = mine.conformance(db, coverage=1.0, min_frequency=2).tickets.set_index("ticket_id")
    assert fit["fitting"].to_dict() == {"T0": True, "T1": True, "T2": True, "T3": False}
    assert (fit.loc["T3", "cost"], fit.loc["T3", "inserted"]) == (2, 2)  # D, then C (a tie)
    with pytest.raises(AnalysisError, match="no start-to-end path"):
        mine.discover_model(db, coverage=1.0, min_frequency=4)


def test_a_vocabulary_name_under_a_sources_own_mapping_is_not_a_declared_model(
        real_data: Path, tmp_path: Path) -> None:
    """The customer-support table says `Ticket Resolved`, but its roles come from its mapping:
    it has no declared model either."""
    db = Path(str(ingested(tmp_path, "support", real_data / "customer_support_tickets.csv")))
    assert mine.declared_model(db) is None
    assert mine.conformance(db).model_kind == "discovered"


# --- the declared model -----------------------------------------------------------------------

def test_generated_desk_keeps_its_declared_lifecycle_and_its_figures(desk_db: Path) -> None:
    result = mine.conformance(desk_db)
    assert result.model_kind == "declared"
    assert (result.cases, result.fitting, result.unmodelled) == (3_000, DESK_FIT,
                                                                 ["Ticket Reopened"])
    shipped = mine.conformance(desk_db, model=mine.default_model_path())
    assert shipped.model_kind == "file"
    pd.testing.assert_frame_equal(result.tickets, shipped.tickets)
    pd.testing.assert_frame_equal(result.deviation_summary, shipped.deviation_summary)
    code, text = _run("mine", "model", "--db", str(desk_db))
    assert code == 0 and text == mine.default_model_path().read_text(encoding="utf-8")
    discovered = mine.conformance(desk_db, coverage=0.8)  # a slider asks for discovery
    assert discovered.model_kind == "discovered" and discovered.fitting >= 0.8 * 3_000


# --- saving and editing -----------------------------------------------------------------------

def _edit(path: Path, name: str, *, drop_step: tuple[str, str] | None = None,
          drop_activity: str | None = None, insert: dict[str, str] | None = None) -> Path:
    """Edit the saved TOML as a user would, line by line: delete the line allowing one step
    (``drop_step`` = (from, to)); delete an activity's [transitions] block and every line
    naming it; insert lines after the line equal to each key of ``insert``."""
    out: list[str] = []
    block = None  # the array being read: its key line
    for line in path.read_text(encoding="utf-8").splitlines():
        item = line.split("#")[0].strip()
        if line.endswith("= ["):
            block = line
        if drop_activity is not None and (block == f'"{drop_activity}" = ['
                                          or item == f'"{drop_activity}",'):
            block = None if item == "]" else block
            continue
        if drop_step is not None and block == f'"{drop_step[0]}" = [' \
                and item == f'"{drop_step[1]}",':
            continue
        block = None if item == "]" else block
        out.append(line)
        if line in (insert or {}):
            out.append((insert or {})[line])
    edited = path.with_name(name)
    edited.write_text("\n".join(out) + "\n", encoding="utf-8")
    assert edited.read_text(encoding="utf-8") != path.read_text(encoding="utf-8")
    return edited


def test_editing_the_saved_model_moves_the_fit_the_expected_way(helpdesk: Path,
                                                                 tmp_path: Path) -> None:
    saved = mine.write_model(mine.reference_model(helpdesk), tmp_path / "model.toml")
    assert mine.conformance(helpdesk, model=saved).fitting == DISCOVERED_FIT
    text = saved.read_text(encoding="utf-8")
    assert "# How it was made: discovered from the 7 most frequent variants" in text
    assert '  "Take in charge ticket",  # 228 tickets' in text  # after Wait, in kept variants
    # Forbid Wait -> Take in charge ticket: the 228 kept tickets taking it no longer fit.
    no_step = _edit(saved, "no-step.toml", drop_step=("Wait", "Take in charge ticket"))
    fewer = mine.conformance(helpdesk, model=no_step).fitting
    assert fewer <= DISCOVERED_FIT - 228
    # Remove Wait altogether: every ticket waiting once deviates.
    no_wait = _edit(saved, "no-wait.toml", drop_activity="Wait")
    assert "Wait" not in mine.load_model(no_wait).activities
    without_wait = mine.conformance(helpdesk, model=no_wait)
    assert without_wait.fitting < fewer and "Wait" in without_wait.unmodelled
    # Allow Require upgrade after Take in charge ticket, then Resolve ticket: more fit.
    more = _edit(saved, "more.toml", insert={
        '"Take in charge ticket" = [': '  "Require upgrade",',
        "[transitions]": '"Require upgrade" = ["Resolve ticket"]'})
    assert mine.conformance(helpdesk, model=more).fitting > DISCOVERED_FIT


def test_a_discovered_model_round_trips_through_toml_whatever_the_names(tmp_path: Path) -> None:
    odd = ['Say "hi"', "back\\slash", "tab\there", "del\x7fete", "ünï [x] = 1 # no"]
    rows = [("T1", i, name, "x") for i, name in enumerate(odd)]
    rows += [("T2", 0, odd[0], "x"), ("T2", 1, odd[4], "x")]
    db = workspace_with(rows)
    model = mine.reference_model(db)
    assert model.kind == "discovered"
    loaded = mine.load_model(mine.write_model(model, tmp_path / "odd.toml"))
    assert (loaded.start, loaded.end, loaded.transitions) == (model.start, model.end,
                                                              model.transitions)
    assert mine.conformance(db, model=loaded).fitting == 2


# --- the command line -------------------------------------------------------------------------

def test_cli_says_the_model_was_discovered_and_round_trips_it(helpdesk: Path,
                                                              tmp_path: Path) -> None:
    code, text = _run("mine", "conformance", "--db", str(helpdesk), "--limit", "1")
    assert code == 0, text
    lines = text.splitlines()
    model_line = next(i for i, line in enumerate(lines) if line.startswith("model: "))
    assert lines[model_line] == (
        "model: discovered from the 7 most frequent variants covering 80.8 % of tickets "
        f"(coverage set to 80 %) — save it with `ticketlens mine model --db {helpdesk} --out "
        "model.toml`, edit, and pass --model model.toml")
    assert lines[model_line + 1] == "3,988 of 4,580 tickets fit (87.1%)"
    code, text = _run("mine", "conformance", "--db", str(helpdesk), "--json")
    payload = json.loads(text)
    assert (payload["model_kind"], payload["fitting"]) == ("discovered", DISCOVERED_FIT)
    assert payload["model_how"].startswith("discovered from the 7 most frequent variants")

    saved = tmp_path / "model.toml"
    code, text = _run("mine", "model", "--db", str(helpdesk), "--out", str(saved))
    assert code == 0 and text.startswith(f"wrote {saved} — discovered from the 7 most")
    code, text = _run("mine", "conformance", "--db", str(helpdesk), "--model", str(saved),
                      "--json")
    payload = json.loads(text)
    assert (payload["model_kind"], payload["fitting"]) == ("file", DISCOVERED_FIT)
    code, text = _run("mine", "model", "--db", str(helpdesk), "--coverage", "50")
    assert text.splitlines()[1] == ("# How it was made: discovered from the most frequent "
                                    "variant covering 51.7 % of tickets (coverage set to 50 %).")
    assert mine.load_model(saved).transitions != mine.discover_model(helpdesk,
                                                                     coverage=0.5).transitions


@pytest.mark.parametrize(("args", "text", "message"), [
    (["--model", "{model}"], "[model\nstart = [", "not valid TOML"),
    (["--model", "{model}"], '[model]\nstart = ["Insert ticket"]\nend = ["Closed"]\n'
                             '[transitions]\n"Insert ticket" = ["Assign seriousness"]\n',
     "'Assign seriousness' can be reached but has no [transitions] entry"),
    (["--model", "{model}", "--coverage", "80"], "", "cannot apply to a model that is given"),
])
def test_cli_bad_model_is_one_error_line_exit_2(helpdesk: Path, tmp_path: Path,
                                                args: list[str], text: str,
                                                message: str) -> None:
    model = tmp_path / "bad.toml"
    model.write_text(text or '[model]\nstart = ["A"]\nend = ["A"]\n[transitions]\n',
                     encoding="utf-8")
    code, out = _run("mine", "conformance", "--db", str(helpdesk),
                     *[a.format(model=model) for a in args])
    assert code == 2, out
    assert out.startswith("error: ") and message in out and out.count("\n") == 1


def test_cli_model_sliders_need_a_workspace() -> None:
    code, out = _run("mine", "model", "--coverage", "80")
    assert code == 2 and out == ("error: --coverage and --min-frequency discover a model from a "
                                 "log: name its workspace with --db\n")

