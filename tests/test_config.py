from pathlib import Path

from bot.config import Clinic, describe, load_settings


def test_defaults_run_offline_with_the_embedded_store(tmp_path):
    s = load_settings({}, tmp_path / "none.toml")
    assert s.chroma_host is None and s.log_questions is False and s.host == "127.0.0.1"
    assert s.clinic == Clinic()


def test_file_then_environment(tmp_path):
    cfg = tmp_path / "kapbot.toml"
    cfg.write_text('[clinic]\nname = "Calm Clinic"\nphone = "336-555-0100"\n[bot]\ntop_k = 5\nlog_questions = true\n')
    s = load_settings({"KAP_TOP_K": "9", "CLINIC_NAME": "Env Clinic", "KAP_INDEX_DIR": "/tmp/x"}, cfg)
    assert s.top_k == 9 and s.log_questions is True and s.index_dir == Path("/tmp/x")
    assert s.clinic.name == "Env Clinic" and s.clinic.phone == "336-555-0100"


def test_blank_environment_values_do_not_override(tmp_path):
    assert load_settings({"KAP_TOP_K": "  ", "CHROMA_HOST": ""}, tmp_path / "none.toml").chroma_host is None


def test_contact_line_never_invents_details():
    assert Clinic().contact_line() == "To talk it through with the clinic, contact the clinic directly."
    line = Clinic(name="Calm Clinic", phone="336-555-0100", url="https://calm.example").contact_line()
    assert line == "To talk it through with Calm Clinic, call 336-555-0100 or visit https://calm.example."


def test_every_setting_is_described():
    rows = describe()
    assert rows and all(description for _, _, description in rows)
    assert ("chroma_host", "CHROMA_HOST") in [(name, env) for name, env, _ in rows]
