"""What the example app computes with its dependencies."""

import dateutil.parser
import dateutil.relativedelta
import msgpack
import yaml


def summarize(start: str, end: str) -> dict:
    delta = dateutil.relativedelta.relativedelta(
        dateutil.parser.isoparse(end), dateutil.parser.isoparse(start)
    )
    packed = msgpack.packb({"months": delta.months, "days": delta.days})
    return {
        "span": {"months": delta.months, "days": delta.days},
        "msgpack_bytes": len(packed),
        "msgpack_roundtrip": msgpack.unpackb(packed)
        == {"months": delta.months, "days": delta.days},
        "msgpack_extension": msgpack.Packer.__module__,
        "yaml_libyaml": yaml.__with_libyaml__,
    }


def render(summary: dict) -> str:
    dumper = yaml.CDumper if yaml.__with_libyaml__ else yaml.Dumper
    return yaml.dump(summary, Dumper=dumper, sort_keys=True)
