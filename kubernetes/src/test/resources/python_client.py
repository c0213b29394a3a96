"""Debian's python3-kubernetes against the API server, for PythonClientTest.

Usage: python_client.py URL CA_PEM CERT_PEM KEY_PEM. Prints one line per step; the test compares
them. Exits non-zero (with a traceback) on the first unexpected answer.
"""
import sys

from kubernetes import client, watch

url, ca, cert, key = sys.argv[1:5]
cfg = client.Configuration()
cfg.host = url
cfg.ssl_ca_cert = ca
cfg.cert_file = cert
cfg.key_file = key
api = client.CoreV1Api(client.ApiClient(cfg))

namespaces = api.list_namespace()
print("namespaces", " ".join(sorted(n.metadata.name for n in namespaces.items)))

since = api.list_namespaced_config_map("default").metadata.resource_version
created = api.create_namespaced_config_map(
    "default",
    client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py", labels={"from": "python"}), data={"a": "1"}),
)
print("created", created.metadata.name, created.metadata.uid is not None)

patched = api.patch_namespaced_config_map("py", "default", {"data": {"b": "2"}})
print("patched", sorted(patched.data.items()))

w = watch.Watch()
for event in w.stream(api.list_namespaced_config_map, "default", resource_version=since, timeout_seconds=10):
    print("watch", event["type"], event["object"].metadata.name, sorted(event["object"].data.items()))
    w.stop()

api.delete_namespaced_config_map("py", "default")
try:
    api.read_namespaced_config_map("py", "default")
    print("still there after delete")
except client.exceptions.ApiException as e:
    print("after delete", e.status, e.reason)

try:
    api.create_namespaced_config_map("default", {"metadata": {"name": "Bad_Name"}})
except client.exceptions.ApiException as e:
    print("bad name", e.status, e.reason)
