"""What the app reports, as YAML: where it runs, and that PyYAML's C extension loaded."""

import platform
import sys

import yaml


def report(name: str) -> str:
    return yaml.safe_dump(
        {
            "hello": name,
            "python": "{}.{}".format(*sys.version_info[:2]),
            "machine": platform.machine().lower(),
            "libyaml": yaml.__with_libyaml__,
        },
        sort_keys=False,
    )
