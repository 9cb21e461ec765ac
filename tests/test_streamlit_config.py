"""The shipped Streamlit configuration is hardened."""
import tomllib

from tests.demo_world import ROOT
def test_hardened_settings():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    server, client = config["server"], config["client"]
    assert server["enableXsrfProtection"] is True
    assert server["enableCORS"] is True and server["corsAllowedOrigins"] == []
    assert server["allowedHosts"] and "*" not in server["allowedHosts"]
    assert server["address"] == "127.0.0.1"
    assert 0 < server["maxUploadSize"] <= 100
    assert server["enableStaticServing"] is False
    assert client["showErrorDetails"] == "none" and client["toolbarMode"] == "viewer"
    assert config["browser"]["gatherUsageStats"] is False
