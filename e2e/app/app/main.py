"""The example app: date arithmetic, msgpack and YAML, behind a click CLI."""

import click
import six

from app.lib.summary import render, summarize


@click.command()
@click.option("--start", default="2024-01-31")
@click.option("--end", default="2024-03-15")
def main(start, end):
    click.echo(render(summarize(start, end)), nl=False)
    click.echo(f"six: {six.__version__}")


if __name__ == "__main__":
    main()
