#!/usr/bin/env python3
"""A client of the order-reporting API written from its OpenAPI document alone.

Standard library only (urllib, json). It reads /openapi.json, finds each call's route
by the operation's x-trpc-procedure (the name that stays put when a path is renamed),
then places an order, completes it, reads it back and reads its month's report.
Each answer is checked against the fields the document says its 200 response has.

    ORDERS_API_URL=http://127.0.0.1:3000 ORDERS_API_TOKEN=<writer token> \\
        python3 clients/python/orders_client.py

Prints one JSON object: what each step answered.
"""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid


class ApiError(Exception):
    def __init__(self, status, body):
        error = body.get("error", {}) if isinstance(body, dict) else {}
        data = error.get("data", {})
        super().__init__(f"{status} {data.get('code')}: {error.get('message')}")
        self.status = status
        self.body = body


class OrdersApi:
    def __init__(self, base_url, token):
        self.base_url = base_url.rstrip("/")
        self.token = token
        with urllib.request.urlopen(f"{self.base_url}/openapi.json", timeout=30) as res:
            self.document = json.load(res)
        if not self.document.get("openapi", "").startswith("3.1"):
            raise SystemExit(f"not an OpenAPI 3.1 document: {self.document.get('openapi')}")
        self.operations = {}
        for path, item in self.document["paths"].items():
            for method, op in item.items():
                self.operations[op["x-trpc-procedure"]] = (method.upper(), path, op)

    def resolve(self, schema):
        """A schema with its $ref (into this document) followed."""
        while "$ref" in schema:
            node = self.document
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            schema = node
        return schema

    def check(self, procedure, answer):
        """The fields the document requires of a 200 answer are there, with their JSON types."""
        _, _, op = self.operations[procedure]
        schema = self.resolve(op["responses"]["200"]["content"]["application/json"]["schema"])
        types = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
                 "array": list, "object": dict}
        for name in schema.get("required", []):
            if name not in answer:
                raise AssertionError(f"{procedure}: the answer lacks {name}")
            field = self.resolve(schema["properties"][name])
            kinds = field.get("type")
            kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
            value = answer[name]
            if kinds and not any(
                (value is None if k == "null" else isinstance(value, types[k])
                 and not (k in ("integer", "number") and isinstance(value, bool)))
                for k in kinds
            ):
                raise AssertionError(f"{procedure}: {name}={value!r} is not {kinds}")
        return answer

    def call(self, procedure, **arguments):
        """Calls a procedure by its REST route: path parameters, then query or JSON body."""
        method, template, op = self.operations[procedure]
        path = template
        for param in op.get("parameters", []):
            if param["in"] == "path":
                value = arguments.pop(param["name"])
                path = path.replace("{" + param["name"] + "}", urllib.parse.quote(str(value), safe=""))
        url = f"{self.base_url}{path}"
        headers = {"authorization": f"Bearer {self.token}", "accept": "application/json"}
        data = None
        if method == "GET":
            if arguments:
                url += "?" + urllib.parse.urlencode(arguments)
        else:
            data = json.dumps(arguments).encode()
            headers["content-type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as res:
                return self.check(procedure, json.load(res))
        except urllib.error.HTTPError as err:
            raise ApiError(err.code, json.load(err)) from None


def main():
    api = OrdersApi(os.environ["ORDERS_API_URL"], os.environ["ORDERS_API_TOKEN"])
    command_id = str(uuid.uuid4())
    order = {
        "commandId": command_id,
        "customerId": "c-python",
        "region": "py",
        "currency": "EUR",
        "items": [
            {"productId": "p-py-1", "quantity": 3, "unitPriceMinor": 1250},
            {"productId": "p-py-2", "quantity": 1, "unitPriceMinor": 99},
        ],
    }
    placed = api.call("orders.place", **order)
    # The same commandId again: the first reply, nothing applied twice.
    replayed = api.call("orders.place", **order)
    completed = api.call("orders.complete", orderId=placed["orderId"])
    read = api.call("orders.get", orderId=placed["orderId"], minVersion=completed["version"])
    month = read["reportMonth"]
    report = api.call(
        "reports.monthly", month=month, currency="EUR", region="py",
        minPosition=completed["position"],
    )
    try:
        api.call("orders.cancel", orderId=placed["orderId"], reason="too late")
        refused = None
    except ApiError as err:
        refused = {"status": err.status, "code": err.body["error"]["data"]["code"]}
    json.dump({"placed": placed, "replayed": replayed, "completed": completed, "order": read,
               "report": report, "cancelAfterComplete": refused}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
