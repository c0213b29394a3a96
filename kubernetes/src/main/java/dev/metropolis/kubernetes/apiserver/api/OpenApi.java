package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.registry.Registry;
import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A minimal OpenAPI v3: an index of group versions, and per group version the PATCH operations of
 * each kind with its GVK and a {@code fieldValidation} parameter. That is what kubectl's apply,
 * create -f and replace look for before they leave field validation to the server. Schemas are open
 * objects for now (no descriptions), so {@code kubectl explain} prints little.
 */
final class OpenApi {
  private final Map<String, byte[]> documents = new LinkedHashMap<>();
  private final Map<String, String> hashes = new LinkedHashMap<>();

  OpenApi(Registry registry) {
    for (String g : registry.groups()) {
      for (String v : registry.versions(g)) {
        String path = g.isEmpty() ? "api/" + v : "apis/" + g + "/" + v;
        byte[] doc = Json.bytes(document(registry, g, v));
        documents.put(path, doc);
        hashes.put(path, hash(doc));
      }
    }
  }

  ObjectNode index() {
    ObjectNode o = Json.object();
    ObjectNode paths = o.putObject("paths");
    hashes.forEach((path, hash) ->
        paths.putObject(path).put("serverRelativeURL", "/openapi/v3/" + path + "?hash=" + hash));
    return o;
  }

  Optional<byte[]> document(String path) {
    return Optional.ofNullable(documents.get(path));
  }

  String hash(String path) {
    return hashes.get(path);
  }

  private static ObjectNode document(Registry registry, String g, String v) {
    ObjectNode o = Json.object();
    o.put("openapi", "3.0.0");
    o.putObject("info").put("title", "Kubernetes").put("version", "v1.32.0");
    ObjectNode paths = o.putObject("paths");
    ObjectNode schemas = o.putObject("components").putObject("schemas");
    for (ResourceType t : registry.inGroupVersion(g, v)) {
      if (!t.stored()) {
        continue;
      }
      String schemaName = schemaName(t);
      ObjectNode schema = schemas.putObject(schemaName);
      schema.put("type", "object").put("description", t.kind() + " (" + t.apiVersion() + ")");
      schema.put("x-kubernetes-preserve-unknown-fields", true);
      gvk(schema.putArray("x-kubernetes-group-version-kind").addObject(), t);
      String base =
          "/"
              + (g.isEmpty() ? "api/" + v : "apis/" + g + "/" + v)
              + (t.namespaced() ? "/namespaces/{namespace}/" : "/")
              + t.resource()
              + "/{name}";
      ObjectNode patch = paths.putObject(base).putObject("patch");
      patch.put("operationId", "patch" + t.kind());
      gvk(patch.putObject("x-kubernetes-group-version-kind"), t);
      patch.put("x-kubernetes-action", "patch");
      ArrayNode params = patch.putArray("parameters");
      for (String p : new String[] {"dryRun", "fieldManager", "fieldValidation", "force"}) {
        params
            .addObject()
            .put("name", p)
            .put("in", "query")
            .putObject("schema")
            .put("type", "string");
      }
      patch
          .putObject("responses")
          .putObject("200")
          .put("description", "OK")
          .putObject("content")
          .putObject("application/json")
          .putObject("schema")
          .put("$ref", "#/components/schemas/" + schemaName);
    }
    return o;
  }

  private static String schemaName(ResourceType t) {
    String g = t.group().isEmpty() ? "core" : t.group();
    return "io.k8s.api." + g.replace(".k8s.io", "") + "." + t.version() + "." + t.kind();
  }

  private static void gvk(ObjectNode o, ResourceType t) {
    o.put("group", t.group()).put("version", t.version()).put("kind", t.kind());
  }

  private static String hash(byte[] doc) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-512").digest(doc))
          .substring(0, 32)
          .toUpperCase(java.util.Locale.ROOT);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
