"""E9101 alb-tls: load balancer listeners and CloudFront distributions serve only modern TLS."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, index, literal, properties
from auditor.rule import AuditRule

#: ELB security policy name -> the oldest TLS version it accepts, first match wins.
#: Source: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
#: and https://docs.aws.amazon.com/elasticloadbalancing/latest/network/describe-ssl-policies.html
#: (names encode the floor: TLS13-1-2-… and TLS-1-2-… accept TLSv1.2 and up; the
#: dated 2015/2016 and FS-2018 policies still accept TLSv1.0).
ELB_POLICY_MIN_TLS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^ELBSecurityPolicy-TLS13-1-3-"), "TLSv1.3"),
    (re.compile(r"^ELBSecurityPolicy-TLS13-1-2-"), "TLSv1.2"),
    (re.compile(r"^ELBSecurityPolicy-TLS13-1-1-"), "TLSv1.1"),
    (re.compile(r"^ELBSecurityPolicy-TLS13-1-0-"), "TLSv1.0"),
    (re.compile(r"^ELBSecurityPolicy-TLS-1-2-"), "TLSv1.2"),
    (re.compile(r"^ELBSecurityPolicy-TLS-1-1-"), "TLSv1.1"),
    (re.compile(r"^ELBSecurityPolicy-TLS-1-0-"), "TLSv1.0"),
    (re.compile(r"^ELBSecurityPolicy-FS-1-2-"), "TLSv1.2"),
    (re.compile(r"^ELBSecurityPolicy-FS-1-1-"), "TLSv1.1"),
    (re.compile(r"^ELBSecurityPolicy-FS-2018-06$"), "TLSv1.0"),
    (re.compile(r"^ELBSecurityPolicy-2016-08$"), "TLSv1.0"),
    (re.compile(r"^ELBSecurityPolicy-2015-05$"), "TLSv1.0"),
)
#: what ELB applies to an HTTPS/TLS listener created through CloudFormation without SslPolicy
ELB_API_DEFAULT_POLICY = "ELBSecurityPolicy-2016-08"

#: CloudFront security policies, oldest first.
#: Source: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-protocols-ciphers.html
CLOUDFRONT_POLICIES = (
    "SSLv3",
    "TLSv1",
    "TLSv1_2016",
    "TLSv1.1_2016",
    "TLSv1.2_2018",
    "TLSv1.2_2019",
    "TLSv1.2_2021",
    "TLSv1.2_2025",
    "TLSv1.3_2025",
)
#: what CloudFront applies to a custom certificate when MinimumProtocolVersion is unset
CLOUDFRONT_DEFAULT_POLICY = "TLSv1"

_TLS_VERSION = re.compile(r"^TLSv?(\d+)(?:\.(\d+))?$", re.IGNORECASE)
SECURE_PROTOCOLS = ("HTTPS", "TLS")


def tls_version(name: str) -> tuple[int, int] | None:
    """``TLSv1.2`` -> (1, 2); ``TLSv1`` -> (1, 0); anything else -> None."""
    m = _TLS_VERSION.match(name.strip())
    return (int(m.group(1)), int(m.group(2) or 0)) if m else None


def elb_policy_floor(policy: str) -> str | None:
    """The oldest TLS version an ELB security policy accepts, or None if not known."""
    return next((floor for pattern, floor in ELB_POLICY_MIN_TLS if pattern.match(policy)), None)


class AlbTls(AuditRule):
    """Load balancer listeners and CloudFront distributions accept only HTTPS with modern TLS.

    ## What it does
    For `AWS::ElasticLoadBalancingV2::Listener`:

    - an `HTTP` listener whose default action is not a `redirect` to `HTTPS` (a
      `fixed-response` default is accepted: it serves nothing of yours);
    - an `HTTPS`/`TLS` listener without a certificate;
    - an `HTTPS`/`TLS` listener whose `SslPolicy` accepts a TLS version older than
      `min-tls`, unless the policy is listed in `allowed-ssl-policies`. An unset policy
      is ELB's API default, `ELBSecurityPolicy-2016-08` (TLS 1.0). Policy names are
      mapped to their oldest TLS version by one table in this check; unknown names and
      values unknown at synth time are not reported.

    For `AWS::CloudFront::Distribution`: a default or ordered cache behavior with
    `ViewerProtocolPolicy: allow-all`, and a custom certificate whose
    `MinimumProtocolVersion` is older than `min-cloudfront-protocol` (unset means
    `TLSv1`). Distributions on the `*.cloudfront.net` default certificate are not
    judged on protocol: CloudFront fixes that policy at TLSv1 and it cannot be raised
    without a custom domain.

    ## Why is this bad?
    Plain HTTP puts session cookies and card-holder data on the wire in clear text, and
    a listener that forwards on port 80 stays reachable even after an HTTPS listener is
    added. TLS 1.0 and 1.1 are deprecated (RFC 8996) and fail PCI DSS; a listener
    created without a policy silently gets the 2016 one that still accepts them.

    ## Example
    ```python
    alb.add_listener("Http", port=80, default_target_groups=[group])
    alb.add_listener("Https", port=443, certificates=[cert])  # no ssl_policy: TLS 1.0
    cloudfront.Distribution(self, "Cdn", default_behavior=cloudfront.BehaviorOptions(
        origin=origin, viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.ALLOW_ALL))
    ```

    ## Use instead
    ```python
    alb.add_listener("Https", port=443, ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
                     certificates=[elbv2.ListenerCertificate.from_arn(CERT_ARN)],
                     default_target_groups=[group])
    alb.add_redirect(source_port=80, target_port=443)
    cloudfront.Distribution(self, "Cdn", default_behavior=cloudfront.BehaviorOptions(
        origin=origin, viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS),
        domain_names=[DOMAIN], certificate=cert,
        minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021)
    ```

    ## Options
    - `min-tls` (string, default `"TLSv1.2"`): the oldest TLS version a listener's
      security policy may accept (`TLSv1.0`, `TLSv1.1`, `TLSv1.2`, `TLSv1.3`).
    - `allowed-ssl-policies` (list of strings, default `[]`): ELB policy names accepted
      whatever their TLS floor (an exception agreed for a legacy client).
    - `min-cloudfront-protocol` (string, default `"TLSv1.2_2021"`): the oldest CloudFront
      security policy a distribution with a custom certificate may use.

    ## References
    - https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
    - https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-protocols-ciphers.html
    - https://datatracker.ietf.org/doc/html/rfc8996
    """

    id = "E9101"
    slug = "alb-tls"
    severity_level = Severity.ERROR
    shortdesc = "Load balancer listeners and CloudFront accept only HTTPS with modern TLS"
    description = (
        "HTTP listeners must redirect to HTTPS; HTTPS/TLS listeners need a certificate and an SSL policy "
        "no older than min-tls; CloudFront must not allow plain HTTP or old security policies."
    )
    source_url = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html"
    tags = ["elbv2", "cloudfront", "tls", "networking"]
    remediation = (
        "HTTPS listeners: `ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS`; HTTP: `alb.add_redirect()`; "
        "CloudFront: HTTPS only."
    )
    config_spec = {
        "min-tls": {
            "type": "string",
            "default": "TLSv1.2",
            "choices": ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
            "help": "oldest TLS version a listener's security policy may accept",
        },
        "allowed-ssl-policies": {
            "type": "list",
            "itemtype": "string",
            "default": [],
            "help": "ELB security policy names accepted whatever their TLS floor",
        },
        "min-cloudfront-protocol": {
            "type": "string",
            "default": "TLSv1.2_2021",
            "choices": list(CLOUDFRONT_POLICIES),
            "help": "oldest CloudFront security policy (MinimumProtocolVersion) allowed",
        },
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        out: list[RuleMatch] = []
        for lid, res in idx.of_type("AWS::ElasticLoadBalancingV2::Listener"):
            if not is_cdk_helper(lid, res):
                out.extend(self._listener(lid, properties(res)))
        for lid, res in idx.of_type("AWS::CloudFront::Distribution"):
            if not is_cdk_helper(lid, res):
                out.extend(self._distribution(lid, properties(res)))
        return out

    # -- load balancer listeners ---------------------------------------------------------

    def _listener(self, lid: str, props: Mapping[str, Any]) -> list[RuleMatch]:
        here: list[str | int] = ["Resources", lid, "Properties"]
        protocol = literal(props.get("Protocol"))
        if not isinstance(protocol, str):
            return []  # unset (a Gateway LB) or unknown at synth time
        protocol = protocol.upper()
        if protocol == "HTTP":
            if self._redirects_or_answers(props.get("DefaultActions")):
                return []
            return [self.finding([*here, "DefaultActions"],
                                 "HTTP listener serves plain HTTP; redirect it to HTTPS with `alb.add_redirect()`")]
        if protocol not in SECURE_PROTOCOLS:
            return []  # TCP/UDP pass-through: TLS, if any, ends at the target
        out = []
        certs = props.get("Certificates")
        if certs is None or (isinstance(certs, list) and not certs):
            out.append(self.finding(here, f"{protocol} listener has no certificate; pass `certificates=[certificate]`"))
        policy = literal(props.get("SslPolicy", ELB_API_DEFAULT_POLICY))
        if isinstance(policy, str) and policy not in self.config["allowed-ssl-policies"]:
            floor = elb_policy_floor(policy)
            wanted, have = tls_version(self.config["min-tls"]), tls_version(floor or "")
            if wanted and have and have < wanted:
                where = [*here, "SslPolicy"] if "SslPolicy" in props else here
                unset = "" if "SslPolicy" in props else " (unset: ELB's default)"
                minimum = self.config["min-tls"]
                out.append(self.finding(where, f"SSL policy {policy}{unset} allows {floor}, under {minimum}; "
                                               "set `ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS`"))
        return out

    @staticmethod
    def _redirects_or_answers(actions: Any) -> bool:
        """True when the default action redirects to HTTPS or returns a fixed response.

        Actions whose type is unknown at synth time count as fine: the check stays silent
        on what it cannot read.
        """
        if not isinstance(actions, list) or not actions:
            return not isinstance(actions, list)  # an intrinsic (Fn::If) is unknown
        for action in actions:
            kind = literal(action.get("Type")) if isinstance(action, Mapping) else UNKNOWN
            if not isinstance(kind, str):
                return True
            kind = kind.lower()
            if kind == "redirect":
                config = action.get("RedirectConfig")
                proto = literal(config.get("Protocol", "#{protocol}")) if isinstance(config, Mapping) else UNKNOWN
                return proto is UNKNOWN or str(proto).upper() == "HTTPS"
            if kind == "fixed-response":
                return True
            if kind == "forward":
                return False
        return False  # only authentication actions: they still end in plain HTTP

    # -- CloudFront ----------------------------------------------------------------------

    def _distribution(self, lid: str, props: Mapping[str, Any]) -> list[RuleMatch]:
        config = props.get("DistributionConfig")
        if not isinstance(config, Mapping):
            return []
        here: list[str | int] = ["Resources", lid, "Properties", "DistributionConfig"]
        out = []
        behaviors: list[tuple[list[str | int], Any]] = [
            ([*here, "DefaultCacheBehavior"], config.get("DefaultCacheBehavior"))
        ]
        ordered = config.get("CacheBehaviors")
        if isinstance(ordered, list):
            behaviors += [([*here, "CacheBehaviors", i], b) for i, b in enumerate(ordered)]
        for path, behavior in behaviors:
            if isinstance(behavior, Mapping) and literal(behavior.get("ViewerProtocolPolicy")) == "allow-all":
                out.append(self.finding([*path, "ViewerProtocolPolicy"],
                                        "CloudFront allows plain HTTP; set `viewer_protocol_policy="
                                        "cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS`"))
        cert = config.get("ViewerCertificate")
        if isinstance(cert, Mapping) and ("AcmCertificateArn" in cert or "IamCertificateId" in cert):
            version = literal(cert.get("MinimumProtocolVersion", CLOUDFRONT_DEFAULT_POLICY))
            wanted = self.config["min-cloudfront-protocol"]
            if version in CLOUDFRONT_POLICIES and wanted in CLOUDFRONT_POLICIES and (
                CLOUDFRONT_POLICIES.index(version) < CLOUDFRONT_POLICIES.index(wanted)
            ):
                where = [*here, "ViewerCertificate"]
                if "MinimumProtocolVersion" in cert:
                    where.append("MinimumProtocolVersion")
                out.append(self.finding(where, f"CloudFront allows {version}, older than {wanted}; set "
                                               "`minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021`"))
        return out

