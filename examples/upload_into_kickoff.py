"""Upload a file and launch a workflow whose kickoff's file field holds it.

Usage::

    python examples/upload_into_kickoff.py contract.pdf TEMPLATE_ID --client ACME

The template's kickoff needs a ``file`` field (``contract`` here, ``--field`` to change it) and
a ``client`` string field. ``client.files.upload`` streams the file to Pneumatic's file service
and returns an ``UploadedFile``; a file field takes a list of them. ``PNEUMATIC_API_KEY`` (and
``PNEUMATIC_BASE_URL``) configure the client.
"""

from __future__ import annotations

import argparse
import sys

import anyio

from pneumatic_async import Pneumatic


async def upload_and_launch(path: str, template_id: int, client_name: str, field: str) -> int:
    async with Pneumatic() as client:
        uploaded = await client.files.upload(path)
        print(f"uploaded {uploaded.filename}: {uploaded.public_url}")
        workflow = await client.templates.run(
            template_id, kickoff={"client": client_name, field: [uploaded]}
        )
    print(f"launched workflow {workflow.id}: {workflow.name}")
    if workflow.kickoff is not None:
        for value in workflow.kickoff.output:
            if value.api_name == field:
                print(f"{field}: {value.value}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="the file to upload")
    parser.add_argument("template_id", type=int)
    parser.add_argument("--client", default="ACME", help="the kickoff's client (default ACME)")
    parser.add_argument("--field", default="contract", help="the file field's api_name")
    args = parser.parse_args()
    return anyio.run(upload_and_launch, args.path, args.template_id, args.client, args.field)


if __name__ == "__main__":
    sys.exit(main())
