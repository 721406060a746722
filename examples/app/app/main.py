"""The example's command line: first-party modules import by their path from the root."""

import click

from app import lib


@click.command()
@click.option("--name", default="world", help="Who to greet.")
def main(name: str) -> None:
    click.echo(lib.report(name), nl=False)


if __name__ == "__main__":
    main()
