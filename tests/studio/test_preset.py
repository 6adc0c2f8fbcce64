"""``rnncells melody``: producer-named loops in the key, a printed fresh seed, numbering that never overwrites."""

from __future__ import annotations

import re
import shutil

from rnncells.cli import main
from rnncells.generation.default_model import DEFAULT_MODEL, default_run
from rnncells.music.melody import scale_pitch_classes
from rnncells.studio.preset import LEAD_SYNTH
from rnncells.training.run_folder import RunFolder
from tests.studio.test_studio import midi_facts


def test_the_default_model_is_shipped():
    assert default_run() == DEFAULT_MODEL and (DEFAULT_MODEL / "run.json").is_file()


def test_melody_preset_writes_named_loops_in_the_key(tmp_path, capsys):
    out = tmp_path / "loops"
    assert main(["melody", "F minor", "--bars", "2", "--bpm", "128", "--n-songs", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    seed = int(re.search(r"seed (\d+) \(--seed \1 repeats", printed).group(1))
    names = sorted(path.name for path in out.glob("*.mid"))
    assert names == ["F-minor_128bpm_2bars_01.mid", "F-minor_128bpm_2bars_02.mid"]
    f_minor = scale_pitch_classes("F", "natural_minor")
    for name in names:
        facts = midi_facts((out / name).read_bytes())
        assert facts["programs"] == [LEAD_SYNTH] and round(facts["bpm"][0]) == 128 and facts["steps"] == 32
        assert all(pitch % 12 in f_minor for pitch in facts["pitches"])
    # the printed seed repeats the melodies; numbers go on after the files already there
    assert (
        main(["melody", "Fm", "--bars", "2", "--n-songs", "2", "--seed", str(seed), "--out", str(out), "--no-wav"]) == 0
    )
    assert (out / "F-minor_128bpm_2bars_03.mid").read_bytes() == (out / names[0]).read_bytes()
    assert (out / "F-minor_128bpm_2bars_04.mid").read_bytes() == (out / names[1]).read_bytes()


def test_melody_preset_refuses_an_unknown_key_in_one_line(tmp_path, capsys):
    assert main(["melody", "H minor", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("rnncells: error: melody: unknown key 'H minor'")


def test_melody_preset_starts_from_the_models_tuned_settings(tmp_path, capsys):
    """The default model's config.toml [generate] table (chosen on corpus-likeness: its README) is what the preset
    uses unless a flag says otherwise; a model without the table gets the preset's defaults."""
    tuned_settings = {"scale_rule": "mask", "temperature": 0.8, "duration_temperature": 1.2}
    assert RunFolder(DEFAULT_MODEL).generation_defaults() == tuned_settings
    untuned = tmp_path / "untuned"
    shutil.copytree(DEFAULT_MODEL, untuned)
    config = untuned / "config.toml"
    config.write_text(config.read_text().split("[generate]")[0])
    assert RunFolder(untuned).generation_defaults() == {}

    def loops(out: str, *flags: str) -> list[bytes]:
        args = ["melody", "Fm", "--bars", "4", "--n-songs", "2", "--seed", "3", "--no-wav"]
        assert main([*args, "--out", str(tmp_path / out), *flags]) == 0
        return [path.read_bytes() for path in sorted((tmp_path / out).glob("*.mid"))]

    tuned = loops("tuned")
    flags = ["--scale-rule", "mask", "--temperature", "0.8", "--duration-temperature", "1.2"]
    assert loops("flag", "--run", str(untuned), *flags) == tuned
    assert loops("fold", "--run", str(untuned)) != tuned  # the preset's own default rule: fold
    capsys.readouterr()
