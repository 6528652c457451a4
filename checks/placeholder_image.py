"""E9105 placeholder-image: ECS containers run a pinned image of your own, with a health check."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, index, literal, properties, sub_text
from auditor.rule import AuditRule

_TOKEN = re.compile(r"\$\{[^}]*\}")
_HOLE = "\x00"  # stands for a value unknown at synth time (a ${...} of Fn::Sub/Join)
#: repository prefixes that name the same image: Docker Hub's and ECR Public's official images
_OFFICIAL = ("docker/library/", "library/")


class ImageRef(NamedTuple):
    """What is known of an image reference; None where it is unknown at synth time.

    (A NamedTuple, not a dataclass: cfn-lint loads rule files without registering them
    in ``sys.modules``, which dataclasses need.)
    """

    repository: str | None  # without registry host, e.g. "amazon/amazon-ecs-sample"
    tag: str | None  # "" when the reference has no tag (and no digest)
    digest: bool


def repository_name(path: str) -> str:
    """``registry/a/b`` -> ``a/b``; Docker Hub's ``library/`` prefix dropped."""
    parts = path.lower().split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost" or _HOLE in parts[0]):
        parts = parts[1:]
    name = "/".join(parts)
    for prefix in _OFFICIAL:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def parse_image(value: Any) -> ImageRef | None:
    """An ``Image`` property as an ``ImageRef``, or None when nothing of it is known."""
    text = sub_text(value)
    if text is None:
        return None
    text = _TOKEN.sub(_HOLE, text)
    digest = "@" in text
    name = text.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    tag: str | None = ""
    if ":" in last:
        name, tag = name[: len(name) - len(last)] + last.split(":", 1)[0], last.split(":", 1)[1]
        tag = None if _HOLE in tag else tag
    elif _HOLE in last:
        tag = None  # the tag may be inside the unknown part
    repository = repository_name(name)
    return ImageRef(None if _HOLE in repository else repository, tag, digest)


class PlaceholderImage(AuditRule):
    """ECS containers run a pinned image of your own and essential ones have a health check.

    ## What it does
    For every container of an `AWS::ECS::TaskDefinition`, it reads `Image` (literals,
    and `Fn::Join`/`Fn::Sub` as far as they are literal) and reports:

    - a repository in `placeholder-images` (matched by repository name whatever the
      registry: `nginx`, `docker.io/library/nginx` and an ECR mirror `…/nginx` are all
      `nginx`), whatever its tag;
    - no tag and no digest (Docker then pulls `:latest`), or a tag in `mutable-tags`;
    - with `require-health-check`, an essential container (`Essential` unset or true)
      without a `HealthCheck`.

    Images pinned by digest, CDK asset images (`cdk-hnb659fds-container-assets-…:<hash>`)
    and parts of an image unknown at synth time (a parameter, a repository's URI) are
    not reported.

    ## Why is this bad?
    A sample image means the real application was never wired in: the service deploys
    green and serves a welcome page. `:latest` changes under you; two tasks of the same
    revision can run different code and a rollback rolls back to nothing. Without a
    container health check ECS only notices a hung process when the load balancer does,
    and not at all for services without one.

    ## Example
    ```python
    task.add_container("Web", image=ecs.ContainerImage.from_registry("nginx:latest"))
    ```

    ## Use instead
    ```python
    repo = ecr.Repository.from_repository_arn(self, "Repo", REPO_ARN)
    task.add_container("Web", image=ecs.ContainerImage.from_ecr_repository(repo, tag="2.7.1"),
        health_check=ecs.HealthCheck(command=["CMD-SHELL", "curl -fsS localhost:8080/healthz || exit 1"]))
    ```

    ## Options
    - `placeholder-images` (list of strings): repositories that are placeholders, not
      applications; default: `nginx`, `httpd`, `amazon/amazon-ecs-sample`,
      `public.ecr.aws/ecs-sample-image/amazon-ecs-sample`, `public.ecr.aws/nginx/nginx`,
      `hello-world`, `busybox`, `nginxdemos/hello`, `tutum/hello-world`,
      `hashicorp/http-echo`, `traefik/whoami`, `containous/whoami`, `kennethreitz/httpbin`.
    - `mutable-tags` (list of strings, default `["latest"]`): tags that are not versions.
    - `require-health-check` (boolean, default true; `false` in the `development`
      profile): report essential containers without a `HealthCheck`.

    ## References
    - https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-considerations.html
    - https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html
    """

    id = "E9105"
    slug = "placeholder-image"
    severity_level = Severity.ERROR
    shortdesc = "ECS containers run a pinned, non-placeholder image with a health check"
    description = (
        "ECS container images must not be placeholders, untagged or :latest; essential containers need a "
        "HealthCheck."
    )
    source_url = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-considerations.html"
    tags = ["ecs", "containers", "deployment"]
    remediation = (
        "Use `ecs.ContainerImage.from_ecr_repository(repo, \"1.4.2\")` and pass "
        "`health_check=ecs.HealthCheck(command=[...])`."
    )
    config_spec = {
        "placeholder-images": {
            "type": "list",
            "itemtype": "string",
            "default": [
                "nginx",
                "httpd",
                "amazon/amazon-ecs-sample",
                "public.ecr.aws/ecs-sample-image/amazon-ecs-sample",
                "public.ecr.aws/nginx/nginx",
                "hello-world",
                "busybox",
                "nginxdemos/hello",
                "tutum/hello-world",
                "hashicorp/http-echo",
                "traefik/whoami",
                "containous/whoami",
                "kennethreitz/httpbin",
            ],
            "help": "image repositories that are placeholders (matched whatever the registry)",
        },
        "mutable-tags": {
            "type": "list",
            "itemtype": "string",
            "default": ["latest"],
            "help": "tags that are not versions",
        },
        "require-health-check": {
            "type": "boolean",
            "default": True,
            "profiles": {"development": False},
            "help": "report essential containers without a HealthCheck",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        placeholders = {repository_name(p) for p in self.config["placeholder-images"]}
        mutable = {t.lower() for t in self.config["mutable-tags"]}
        out: list[RuleMatch] = []
        for lid, res in idx.of_type("AWS::ECS::TaskDefinition"):
            containers = properties(res).get("ContainerDefinitions")
            if is_cdk_helper(lid, res) or not isinstance(containers, list):
                continue
            for i, container in enumerate(containers):
                if not isinstance(container, Mapping):
                    continue
                here: list[str | int] = ["Resources", lid, "Properties", "ContainerDefinitions", i]
                name = literal(container.get("Name"))
                who = f"Container {name}" if isinstance(name, str) else "Container"
                msg = self._image_problem(parse_image(container.get("Image")), placeholders, mutable)
                if msg:
                    out.append(self.finding([*here, "Image"], f"{who} {msg}"))
                essential = literal(container.get("Essential", True))
                if (self.config["require-health-check"] and essential is not UNKNOWN
                        and essential not in (False, "false") and "HealthCheck" not in container):
                    out.append(self.finding(here, f"{who} is essential but has no health check; pass "
                                                  "`health_check=ecs.HealthCheck(command=[...])`"))
        return out

    @staticmethod
    def _image_problem(ref: ImageRef | None, placeholders: set[str], mutable: set[str]) -> str | None:
        if ref is None:
            return None
        if ref.repository is not None and ref.repository in placeholders:
            return f"runs the placeholder image {ref.repository}; deploy your application's image"
        if ref.digest or ref.tag is None:
            return None
        if ref.tag == "":
            return "image has no tag (pulls :latest); pin a version tag or digest"
        if ref.tag.lower() in mutable:
            return f"image uses the mutable tag :{ref.tag}; pin a version tag or digest"
        return None
