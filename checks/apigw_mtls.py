"""E9003 apigw-mtls: REST APIs are reached only through a mutual-TLS custom domain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

from auditor.findings import Severity
from auditor.incidental import is_cdk_helper
from auditor.resolve import UNKNOWN, TemplateIndex, index, is_true, literal, properties, selected, target
from auditor.rule import AuditRule

REST_API = "AWS::ApiGateway::RestApi"
DOMAINS = ("AWS::ApiGateway::DomainName", "AWS::ApiGatewayV2::DomainName")
#: mapping type -> (property naming the domain, property naming the API)
MAPPINGS = {
    "AWS::ApiGateway::BasePathMapping": ("DomainName", "RestApiId"),
    "AWS::ApiGatewayV2::ApiMapping": ("DomainName", "ApiId"),
}


_ALLOW_ORIGIN = "method.response.header.Access-Control-Allow-Origin"


def _browser_apis(idx: TemplateIndex) -> set[str]:
    """REST APIs that answer CORS preflight: an OPTIONS method whose integration or method
    responses carry ``Access-Control-Allow-Origin``."""
    out: set[str] = set()
    for _, res in idx.of_type("AWS::ApiGateway::Method"):
        props = properties(res)
        if literal(props.get("HttpMethod")) != "OPTIONS":
            continue
        integration = props.get("Integration")
        responses = integration.get("IntegrationResponses") if isinstance(integration, Mapping) else None
        methods = props.get("MethodResponses")
        listed: list[Any] = [*(responses if isinstance(responses, list) else []),
                             *(methods if isinstance(methods, list) else [])]
        if any(isinstance(r, Mapping) and isinstance(r.get("ResponseParameters"), Mapping)
               and _ALLOW_ORIGIN in r["ResponseParameters"] for r in listed):
            api = target(props.get("RestApiId"))
            if api:
                out.add(api)
    return out


class ApigwMtls(AuditRule):
    """REST APIs must be served through a custom domain that enforces mutual TLS.

    ## What it does
    For each selected `AWS::ApiGateway::RestApi` it follows `AWS::ApiGateway::BasePathMapping`
    (or `AWS::ApiGatewayV2::ApiMapping`) resources back to their custom domain and reports,
    each on its own: no custom domain mapped to the API; a mapped domain without
    `MutualTlsAuthentication.TruststoreUri`; a mapped domain whose `SecurityPolicy` is not
    `security-policy`; and an API whose default `execute-api` endpoint is still enabled
    (`DisableExecuteApiEndpoint` not `true`), which bypasses the domain's mTLS. Private APIs
    (endpoint type `PRIVATE`) cannot use mTLS and are skipped; a domain that is not in
    this template (a parameter or import) is not judged.

    ## Why is this bad?
    Mutual TLS authenticates the calling system before any request reaches your code.
    It only protects the API if every way in enforces it: the default
    `https://{id}.execute-api…` endpoint accepts any client and any TLS 1.0 handshake,
    and a domain without a truststore (or with the TLS 1.0 policy) authenticates nobody.

    mTLS is for system-to-system APIs: a browser cannot present a client certificate, so
    an API that answers CORS preflight (an `OPTIONS` method whose responses set
    `Access-Control-Allow-Origin`, as `default_cors_preflight_options` writes) serves
    browsers and is not selected by `select = "all"`; mark it (tag or name) if it must
    have mTLS anyway.

    ## Example
    ```python
    apigw.RestApi(self, "Payments")
    ```

    ## Use instead
    ```python
    apigw.RestApi(self, "Payments", disable_execute_api_endpoint=True, domain_name=apigw.DomainNameOptions(
        domain_name="pay.example.com", certificate=cert, security_policy=apigw.SecurityPolicy.TLS_1_2,
        mtls=apigw.MTLSConfig(bucket=truststore_bucket, key="truststore.pem")))
    ```
    ```ts
    new apigw.RestApi(this, 'Payments', { disableExecuteApiEndpoint: true, domainName: {
      domainName: 'pay.example.com', certificate: cert, securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      mtls: { bucket: truststoreBucket, key: 'truststore.pem' } } });
    ```

    ## Options
    - `select` (string, default `marked`; production profile `all`): which APIs need mTLS —
      `marked` (tagged with `tag` = `true`, or a literal `Name` matching `name-pattern`),
      `all` (marked APIs and every API that does not answer browsers' CORS preflight),
      `tagged`, `named` or `none`. Which APIs are machine-to-machine is the app's
      decision, so the default profile judges only those it marked.
    - `tag` (string, default `cdk-audit:mtls`): the tag `select = "tagged"` looks for.
    - `name-pattern` (string, default empty): regex for `select = "named"`.
    - `security-policy` (string, default `TLS_1_2`): the `SecurityPolicy` the domain must have.

    ## References
    - https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mutual-tls.html
    - https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_apigateway/MTLSConfig.html
    """

    id = "E9003"
    slug = "apigw-mtls"
    severity_level = Severity.ERROR
    shortdesc = "REST APIs are reached only through a mutual-TLS custom domain"
    description = (
        "Selected REST APIs need a mapped custom domain with a truststore and the configured TLS "
        "policy, and their default execute-api endpoint disabled."
    )
    source_url = "https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mutual-tls.html"
    tags = ["apigateway", "tls", "authentication"]
    remediation = (
        "Use a custom domain with `mtls=apigw.MTLSConfig(bucket=b, key=k)` and set "
        "`disable_execute_api_endpoint=True`."
    )
    config_spec = {
        "select": {
            "type": "string",
            "default": "marked",
            "choices": ["marked", "all", "tagged", "named", "none"],
            "profiles": {"production": "all"},
            "help": "which REST APIs need mTLS: marked (tag or name), all (but browser CORS APIs), tagged, named, none",
        },
        "tag": {"type": "string", "default": "cdk-audit:mtls", "help": "tag (value true) for select=tagged"},
        "name-pattern": {"type": "string", "default": "", "help": "regex on the literal API Name for select=named"},
        "security-policy": {"type": "string", "default": "TLS_1_2", "help": "SecurityPolicy the domain must have"},
    }

    def match(self, cfn: Template) -> list[RuleMatch]:
        idx = index(cfn.template)
        # domain value -> domain logical id, so a mapping naming the domain literally is followed too
        by_name = {
            name: lid
            for lid, res in idx.of_type(*DOMAINS)
            if isinstance(name := literal(properties(res).get("DomainName")), str)
        }
        domains_of: dict[str, list[str | None]] = {}  # api -> mapped domains (None: not in template)
        for mtype, (domain_key, api_key) in MAPPINGS.items():
            for _, res in idx.of_type(mtype):
                props = properties(res)
                api = target(props.get(api_key))
                if api is None:
                    continue
                domain = target(props.get(domain_key))
                name = literal(props.get(domain_key))
                if domain is None and isinstance(name, str):
                    domain = by_name.get(name)
                domains_of.setdefault(api, []).append(domain if idx.type_of(domain) in DOMAINS else None)
        out: list[RuleMatch] = []
        judged: set[str] = set()
        browser = _browser_apis(idx)
        for lid, res in idx.of_type(REST_API):
            if is_cdk_helper(lid, res) or not self._selected(res, lid in browser) or self._private(res):
                continue
            here: list[str | int] = ["Resources", lid]
            domains = domains_of.get(lid, [])
            if not domains:
                out.append(self.finding(here, "REST API has no custom domain; serve it on one with "
                                              "`mtls=apigw.MTLSConfig(bucket=b, key=k)`"))
            for domain in sorted({d for d in domains if d} - judged):
                judged.add(domain)
                out.extend(self._check_domain(idx, domain))
            disable = properties(res).get("DisableExecuteApiEndpoint")
            if not is_true(disable) and literal(disable) is not UNKNOWN:
                path = [*here, "Properties", "DisableExecuteApiEndpoint"] if disable is not None else here
                out.append(self.finding(path, "Default execute-api endpoint bypasses mTLS; set "
                                              "`disable_execute_api_endpoint=True`"))
        return out

    def _selected(self, res: Mapping[str, Any], serves_browsers: bool) -> bool:
        mode, tag, pattern = self.config["select"], self.config["tag"], self.config["name-pattern"]
        marked = bool(selected(res, "tagged", tag, "Name", pattern)) or bool(
            pattern and selected(res, "named", tag, "Name", pattern)
        )
        if mode == "marked":
            return marked
        if mode == "all":
            return marked or not serves_browsers
        return bool(selected(res, mode, tag, "Name", pattern))

    @staticmethod
    def _private(res: Mapping[str, Any]) -> bool:
        endpoint = properties(res).get("EndpointConfiguration")
        kinds = literal(endpoint.get("Types")) if isinstance(endpoint, Mapping) else None
        return isinstance(kinds, list) and "PRIVATE" in kinds

    def _check_domain(self, idx: TemplateIndex, lid: str) -> list[RuleMatch]:
        res = idx.resources[lid]
        props = properties(res)
        here: list[str | int] = ["Resources", lid]
        out: list[RuleMatch] = []
        mtls = props.get("MutualTlsAuthentication")
        # an intrinsic in place of the whole block (Fn::If) is unknown: stay silent
        if mtls is None or (isinstance(mtls, Mapping) and mtls.get("TruststoreUri") is None and "Fn::If" not in mtls):
            path = [*here, "Properties", "MutualTlsAuthentication"] if mtls is not None else here
            out.append(self.finding(path, "Custom domain has no mTLS truststore; set `mtls=apigw.MTLSConfig("
                                          "bucket=truststore, key=\"truststore.pem\")`"))
        wanted = self.config["security-policy"]
        if res.get("Type") == "AWS::ApiGatewayV2::DomainName":
            configs = props.get("DomainNameConfigurations")
            policies: list[tuple[list[str | int], Any]] = [
                ([*here, "Properties", "DomainNameConfigurations", i, "SecurityPolicy"], c.get("SecurityPolicy"))
                for i, c in enumerate(configs if isinstance(configs, list) else [])
                if isinstance(c, Mapping)
            ] or [(here, None)]
        else:
            policies = [([*here, "Properties", "SecurityPolicy"], props.get("SecurityPolicy"))]
        for path, value in policies:
            policy = literal(value)
            if policy is UNKNOWN or policy == wanted:
                continue
            shown = f"is {policy}" if policy is not None else "is not set (TLS_1_0 allowed)"
            out.append(self.finding(path if value is not None else here,
                                    f"Custom domain security policy {shown}; set "
                                    f"`security_policy=apigw.SecurityPolicy.{wanted}`"))
        return out
