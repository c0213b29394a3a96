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
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * OpenAPI v3: an index of group versions, and per group version a document with each kind's PATCH
 * operation (its GVK and a {@code fieldValidation} parameter: what kubectl's apply, create -f and
 * replace look for before they leave field validation to the server) and real schemas of every kind
 * and of the models they use ({@link Schemas}), which {@code kubectl explain} prints. Documents are
 * built on first request and kept; the index's hashes come from what determines a document (its
 * kinds and their models), so listing the index builds nothing.
 */
final class OpenApi {
  /** Bump when the generator's output changes, so that clients' caches (keyed by hash) renew. */
  private static final String GENERATOR = "schemas-1";

  private final Registry registry;
  private final Map<String, String> hashes = new LinkedHashMap<>();
  private final Map<String, byte[]> documents = new ConcurrentHashMap<>();

  OpenApi(Registry registry) {
    this.registry = registry;
    for (String g : registry.groups()) {
      for (String v : registry.versions(g)) {
        StringBuilder inputs = new StringBuilder(GENERATOR);
        for (ResourceType t : registry.inGroupVersion(g, v)) {
          inputs.append('\n').append(t.resource()).append(' ').append(t.kind());
          inputs.append(' ').append(t.namespaced()).append(' ').append(t.verbs());
          inputs.append(' ').append(t.model().getName());
        }
        hashes.put(path(g, v), hash(utf8(inputs.toString())));
      }
    }
  }

  private static String path(String g, String v) {
    return g.isEmpty() ? "api/" + v : "apis/" + g + "/" + v;
  }

  ObjectNode index() {
    ObjectNode o = Json.object();
    ObjectNode paths = o.putObject("paths");
    hashes.forEach((path, hash) ->
        paths.putObject(path).put("serverRelativeURL", "/openapi/v3/" + path + "?hash=" + hash));
    return o;
  }

  /** The document of group version {@code path} ({@code api/v1}, {@code apis/apps/v1}). */
  Optional<byte[]> document(String path) {
    if (!hashes.containsKey(path)) {
      return Optional.empty();
    }
    return Optional.of(documents.computeIfAbsent(path, this::build));
  }

  String hash(String path) {
    return hashes.get(path);
  }

  private byte[] build(String path) {
    if (path.startsWith("api/")) {
      return Json.bytes(document(registry, "", path.substring("api/".length())));
    }
    String gv = path.substring("apis/".length());
    int slash = gv.indexOf('/');
    return Json.bytes(document(registry, gv.substring(0, slash), gv.substring(slash + 1)));
  }

  private static ObjectNode document(Registry registry, String g, String v) {
    ObjectNode o = Json.object();
    o.put("openapi", "3.0.0");
    o.putObject("info").put("title", "Kubernetes").put("version", "v1.32.0");
    ObjectNode paths = o.putObject("paths");
    ObjectNode schemas = o.putObject("components").putObject("schemas");
    for (ResourceType t : registry.inGroupVersion(g, v)) {
      String schemaName = Schemas.name(t.model());
      ObjectNode schema = Schemas.add(schemas, t.model());
      gvk(schema.putArray("x-kubernetes-group-version-kind").addObject(), t);
      if (!t.stored()) {
        continue; // reviews are only created: a schema for explain, no PATCH
      }
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
