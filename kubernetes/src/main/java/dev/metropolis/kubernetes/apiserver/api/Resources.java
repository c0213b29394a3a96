package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.registry.Registry;
import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import dev.metropolis.kubernetes.apiserver.storage.Store;
import dev.metropolis.kubernetes.apiserver.storage.StoreException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The verbs on stored objects: get, list, create, update, patch, delete. Objects live in etcd at
 * {@code <prefix>/<resource>[.<group>]/[<namespace>/]<name>} as JSON without their resourceVersion,
 * which is the key's mod revision and is filled in on every read.
 */
final class Resources {
  /** The outcome of a write: the object, and warnings for the Warning header. */
  record Written(int code, ObjectNode object, List<String> warnings) {}

  /** How a write treats unknown fields (query parameter fieldValidation). */
  enum Validation {
    STRICT,
    WARN,
    IGNORE;

    static Validation of(String v) {
      return switch (v) {
        case "", "Warn" -> WARN;
        case "Strict" -> STRICT;
        case "Ignore" -> IGNORE;
        default ->
            throw ApiException.badRequest(
                "fieldValidation must be one of \"Ignore\", \"Warn\" or \"Strict\", not \""
                    + v
                    + "\"");
      };
    }
  }

  private static final int RETRIES = 10;
  private static final String NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Registry registry;
  private final Store store;
  private final String prefix;
  private final Clock clock;
  private final ServiceIps serviceIps;

  Resources(Registry registry, Store store, String prefix, Clock clock) {
    this.registry = registry;
    this.store = store;
    this.prefix = prefix;
    this.clock = clock;
    this.serviceIps = new ServiceIps(store, prefix);
  }

  String key(ResourceType t, String ns, String name) {
    return collection(t, t.namespaced() ? ns : "") + name;
  }

  /** The key prefix of a collection; all namespaces if {@code ns} is empty. */
  String collection(ResourceType t, String ns) {
    return prefix + "/" + t.qualifiedName() + "/" + (ns.isEmpty() ? "" : ns + "/");
  }

  ObjectNode decodeStored(ResourceType t, Store.Item item) {
    ObjectNode o = Json.stored(item.value());
    o.withObject("metadata").put("resourceVersion", Long.toString(item.modRevision()));
    return o;
  }

  ObjectNode get(ResourceType t, String ns, String name) {
    return decodeStored(t, read(t, ns, name));
  }

  private Store.Item read(ResourceType t, String ns, String name) {
    return store.get(key(t, ns, name)).orElseThrow(() -> ApiException.notFound(t, name));
  }

  /** A page of a list: the matching objects, the revision read at and the continue token. */
  record ListPage(List<ObjectNode> items, long revision, String continueToken) {}

  ListPage list(ResourceType t, String ns, Predicate<ObjectNode> filter, long limit, String cont) {
    String collection = collection(t, ns);
    String start = collection;
    long revision = 0;
    if (!cont.isEmpty()) {
      try {
        JsonNode token = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(cont));
        start = token.path("start").asString();
        revision = token.path("rv").asLong();
      } catch (RuntimeException e) {
        throw ApiException.badRequest("continue key is not valid: " + e.getMessage());
      }
      if (!start.startsWith(collection)) {
        throw ApiException.badRequest("continue key is not valid: it is for another collection");
      }
    }
    List<ObjectNode> items = new ArrayList<>();
    while (true) {
      Store.Page page;
      try {
        page = store.list(collection, start, limit > 0 ? limit - items.size() : 0, revision);
      } catch (StoreException e) {
        if (e.compacted()) {
          throw ApiException.gone(
              "The provided continue parameter is too old to display a consistent list result."
                  + " You can start a new list without the continue parameter.");
        }
        throw e;
      }
      revision = page.revision();
      for (Store.Item item : page.items()) {
        ObjectNode o = decodeStored(t, item);
        if (filter.test(o)) {
          items.add(o);
        }
        start = item.key() + "\0";
      }
      if (!page.more()) {
        return new ListPage(items, revision, "");
      }
      if (limit > 0 && items.size() >= limit) {
        ObjectNode token = Json.object().put("rv", revision).put("start", start);
        return new ListPage(
            items,
            revision,
            Base64.getUrlEncoder().withoutPadding().encodeToString(Json.bytes(token)));
      }
    }
  }

  Written create(ResourceType t, String ns, ObjectNode body, boolean dryRun, Validation v) {
    checkKind(t, body);
    ObjectNode meta = body.withObject("metadata");
    if (!Json.text(meta, "resourceVersion").isEmpty()) {
      throw ApiException.badRequest("resourceVersion should not be set on objects to be created");
    }
    checkNamespace(t, ns, meta);
    Objects.Decoded decoded = Objects.decode(t, body);
    List<String> warnings = fieldWarnings(t, decoded, v);
    ObjectNode o = decoded.object();
    ObjectNode m = o.withObject("metadata");
    String name = Json.text(m, "name");
    if (name.isEmpty() && !Json.text(m, "generateName").isEmpty()) {
      name = Json.text(m, "generateName") + randomSuffix();
    }
    Objects.validateName(t, name);
    if (t.namespaced()) {
      ensureNamespace(ns, t, name);
    }
    m.put("name", name);
    if (t.namespaced()) {
      m.put("namespace", ns);
    } else {
      m.remove("namespace");
    }
    m.put("uid", UUID.randomUUID().toString());
    m.put("creationTimestamp", now());
    if (t.generation()) {
      m.put("generation", 1);
    } else {
      m.remove("generation");
    }
    m.remove(
        List.of("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"));
    o.put("kind", t.kind()).put("apiVersion", t.apiVersion());
    Defaults.apply(t, o);
    Defaults.onCreate(t, o);
    FieldChecks.check(t, o);
    if (t.kind().equals("Service")) {
      serviceIps.allocate(o, dryRun);
    }
    if (dryRun) {
      return new Written(201, o, warnings);
    }
    long rev = store.create(key(t, ns, name), Json.bytes(o));
    if (rev < 0) {
      if (t.kind().equals("Service")) {
        serviceIps.release(o);
      }
      throw ApiException.alreadyExists(t, name);
    }
    m.put("resourceVersion", Long.toString(rev));
    return new Written(201, o, warnings);
  }

  /** PUT of the object or of its status subresource. */
  Written update(
      ResourceType t,
      String ns,
      String name,
      String subresource,
      ObjectNode body,
      boolean dryRun,
      Validation v) {
    checkKind(t, body);
    ObjectNode meta = body.withObject("metadata");
    if (!Json.text(meta, "name").equals(name)) {
      throw ApiException.badRequest(
          "the name of the object ("
              + Json.text(meta, "name")
              + ") does not match the name on the URL ("
              + name
              + ")");
    }
    checkNamespace(t, ns, meta);
    Objects.Decoded decoded = Objects.decode(t, body);
    List<String> warnings = fieldWarnings(t, decoded, v);
    String wantedVersion = Json.text(meta, "resourceVersion");
    Store.Item current = read(t, ns, name);
    if (!wantedVersion.isEmpty() && !wantedVersion.equals(Long.toString(current.modRevision()))) {
      throw ApiException.conflict(t, name);
    }
    ObjectNode old = decodeStored(t, current);
    ObjectNode merged = merge(t, old, decoded.object(), subresource);
    return new Written(200, write(t, ns, name, current, merged, dryRun), warnings);
  }

  /** A patch of {@code type} applied to the current object, retried on concurrent writes. */
  Written patch(
      ResourceType t,
      String ns,
      String name,
      String subresource,
      String contentType,
      byte[] body,
      boolean dryRun,
      Validation v) {
    JsonNode patch = Json.parse(body);
    for (int attempt = 0; attempt < RETRIES; attempt++) {
      Store.Item current = read(t, ns, name);
      ObjectNode old = decodeStored(t, current);
      JsonNode patched =
          switch (contentType) {
            case "application/merge-patch+json" -> Patches.mergePatch(old, patch);
            case "application/json-patch+json" -> Patches.jsonPatch(old, patch);
            case "application/strategic-merge-patch+json", "application/apply-patch+yaml" ->
                Patches.strategicMerge(old, patch, "");
            default -> throw ApiException.unsupportedMediaType(contentType);
          };
      if (!(patched instanceof ObjectNode p)) {
        throw ApiException.badRequest("the patched object is not a JSON object");
      }
      String wanted = Json.text(p, "metadata", "resourceVersion");
      if (!wanted.isEmpty() && !wanted.equals(Long.toString(current.modRevision()))) {
        throw ApiException.conflict(t, name);
      }
      if (!Json.text(p, "metadata", "name").equals(name)) {
        throw ApiException.badRequest("metadata.name: the name of an object cannot be changed");
      }
      Objects.Decoded decoded = Objects.decode(t, p);
      List<String> warnings = fieldWarnings(t, decoded, v);
      ObjectNode merged = merge(t, old, decoded.object(), subresource);
      try {
        return new Written(200, write(t, ns, name, current, merged, dryRun), warnings);
      } catch (ApiException e) {
        // a concurrent write: patch the newer object (a pinned resourceVersion then conflicts)
        if (!e.reason().equals("Conflict")) {
          throw e;
        }
      }
    }
    throw ApiException.conflict(t, name);
  }

  /**
   * Combines the stored object and a new version: server-owned metadata stays, status changes only
   * through the status subresource (and only status changes there), and the generation goes up when
   * anything but metadata and status changed.
   */
  private ObjectNode merge(
      ResourceType t, ObjectNode old, ObjectNode incoming, String subresource) {
    ObjectNode result;
    if (subresource.equals("finalize")) {
      // namespaces/finalize changes spec.finalizers and nothing else
      result = old.deepCopy();
      result.withObject("spec").set("finalizers", incoming.path("spec").path("finalizers"));
      if (result.path("spec").path("finalizers").isMissingNode()) {
        result.withObject("spec").remove("finalizers");
      }
    } else if (subresource.equals("status")) {
      result = old.deepCopy();
      if (incoming.has("status")) {
        result.set("status", incoming.get("status"));
      } else {
        result.remove("status");
      }
    } else {
      result = incoming.deepCopy();
      if (t.kind().equals("Namespace")) {
        // as upstream: a namespace's finalizers change only through /finalize
        result.withObject("spec").remove("finalizers");
        if (old.path("spec").has("finalizers")) {
          result.withObject("spec").set("finalizers", old.path("spec").get("finalizers"));
        }
      }
      if (t.hasStatus()) {
        if (old.has("status")) {
          result.set("status", old.get("status"));
        } else {
          result.remove("status");
        }
      }
    }
    ObjectNode m = result.withObject("metadata");
    ObjectNode oldMeta = old.withObject("metadata");
    for (String keep :
        List.of(
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds")) {
      if (oldMeta.has(keep)) {
        m.set(keep, oldMeta.get(keep));
      } else {
        m.remove(keep);
      }
    }
    result.put("kind", t.kind()).put("apiVersion", t.apiVersion());
    Defaults.apply(t, result);
    FieldChecks.check(t, result);
    if (t.generation()) {
      long generation = oldMeta.path("generation").asLong(1);
      if (!spec(old).equals(spec(result))) {
        generation++;
      }
      m.put("generation", generation);
    } else {
      m.remove("generation");
    }
    return result;
  }

  private static ObjectNode spec(ObjectNode o) {
    ObjectNode copy = o.deepCopy();
    copy.remove(List.of("metadata", "status", "kind", "apiVersion"));
    return copy;
  }

  /** Writes {@code next} over {@code current}; deletes it when its last finalizer went away. */
  private ObjectNode write(
      ResourceType t, String ns, String name, Store.Item current, ObjectNode next, boolean dryRun) {
    ObjectNode m = next.withObject("metadata");
    m.remove("resourceVersion");
    boolean finished = m.has("deletionTimestamp") && !hasFinalizers(next);
    if (dryRun) {
      m.put("resourceVersion", Long.toString(current.modRevision()));
      return next;
    }
    long rev =
        finished
            ? store.delete(key(t, ns, name), current.modRevision())
            : store.update(key(t, ns, name), Json.bytes(next), current.modRevision());
    if (rev < 0) {
      throw ApiException.conflict(t, name);
    }
    if (finished) {
      afterDelete(t, next);
    }
    m.put("resourceVersion", Long.toString(rev));
    return next;
  }

  /**
   * DELETE: an object with finalizers gets a deletionTimestamp and stays until they are gone;
   * otherwise it is removed. Dependents (ownerReferences) are deleted unless the policy is Orphan.
   * A namespace takes its contents with it.
   */
  ObjectNode delete(ResourceType t, String ns, String name, ObjectNode options, boolean dryRun) {
    String propagation = Json.text(options, "propagationPolicy");
    for (int attempt = 0; attempt < RETRIES; attempt++) {
      Store.Item current = read(t, ns, name);
      ObjectNode o = decodeStored(t, current);
      String uid = Json.text(options, "preconditions", "uid");
      if (!uid.isEmpty() && !uid.equals(Json.text(o, "metadata", "uid"))) {
        throw new ApiException(
            409,
            "Conflict",
            "Precondition failed: UID in precondition: "
                + uid
                + ", UID in object meta: "
                + Json.text(o, "metadata", "uid"),
            null);
      }
      String rv = Json.text(options, "preconditions", "resourceVersion");
      if (!rv.isEmpty() && !rv.equals(Long.toString(current.modRevision()))) {
        throw ApiException.conflict(t, name);
      }
      if (dryRun) {
        return o;
      }
      ObjectNode m = o.withObject("metadata");
      if (hasFinalizers(o)) {
        if (m.has("deletionTimestamp")) {
          return o;
        }
        m.put("deletionTimestamp", now());
        m.put("deletionGracePeriodSeconds", 0);
        if (t.kind().equals("Namespace")) {
          o.withObject("status").put("phase", "Terminating");
        }
        m.remove("resourceVersion");
        long rev = store.update(key(t, ns, name), Json.bytes(o), current.modRevision());
        if (rev < 0) {
          continue;
        }
        m.put("resourceVersion", Long.toString(rev));
        return o;
      }
      long rev = store.delete(key(t, ns, name), current.modRevision());
      if (rev < 0) {
        continue;
      }
      if (!propagation.equals("Orphan")) {
        afterDelete(t, o);
      } else if (t.kind().equals("Service")) {
        serviceIps.release(o);
      }
      return o;
    }
    throw ApiException.conflict(t, name);
  }

  /**
   * Whether something must still finish the object: metadata.finalizers, or for a namespace also
   * spec.finalizers (the namespace controller's {@code kubernetes}).
   */
  private static boolean hasFinalizers(ObjectNode o) {
    return !o.path("metadata").path("finalizers").isEmpty()
        || (Json.text(o, "kind").equals("Namespace")
            && !o.path("spec").path("finalizers").isEmpty());
  }

  /**
   * pods/binding: assigns an unbound pod to a node (the scheduler's write). A pod bound already is
   * a 409 Conflict; binding also records the condition PodScheduled=True.
   */
  ObjectNode bind(String ns, String name, ObjectNode binding, boolean dryRun) {
    ResourceType pods = registry.find("", "v1", "pods").orElseThrow();
    String kind = Json.text(binding, "kind");
    if (!kind.isEmpty() && !kind.equals("Binding")) {
      throw ApiException.badRequest("the kind of the body must be Binding, not " + kind);
    }
    String node = Json.text(binding, "target", "name");
    if (node.isEmpty()) {
      throw ApiException.invalid(
          pods,
          name,
          List.of(new ApiException.Cause("FieldValueRequired", "Required value", "target.name")));
    }
    String targetKind = Json.text(binding, "target", "kind");
    if (!targetKind.isEmpty() && !targetKind.equals("Node")) {
      throw ApiException.invalid(
          pods,
          name,
          List.of(
              new ApiException.Cause(
                  "FieldValueNotSupported",
                  "Unsupported value: \"" + targetKind + "\": supported values: \"Node\"",
                  "target.kind")));
    }
    for (int attempt = 0; attempt < RETRIES; attempt++) {
      Store.Item current = read(pods, ns, name);
      ObjectNode pod = decodeStored(pods, current);
      String uid = Json.text(binding, "metadata", "uid");
      if (!uid.isEmpty() && !uid.equals(Json.text(pod, "metadata", "uid"))) {
        throw ApiException.conflict(pods, name);
      }
      String bound = Json.text(pod, "spec", "nodeName");
      if (!bound.isEmpty() || pod.path("metadata").has("deletionTimestamp")) {
        throw new ApiException(
            409,
            "Conflict",
            "Operation cannot be fulfilled on pods/binding \""
                + name
                + "\": "
                + (bound.isEmpty()
                    ? "pod " + name + " is being deleted, cannot be assigned to a host"
                    : "pod " + name + " is already assigned to node \"" + bound + "\""),
            null);
      }
      pod.withObject("spec").put("nodeName", node);
      setCondition(pod, "PodScheduled", "True", "", "");
      if (dryRun) {
        break;
      }
      pod.withObject("metadata").remove("resourceVersion");
      if (store.update(key(pods, ns, name), Json.bytes(pod), current.modRevision()) >= 0) {
        break;
      }
      if (attempt == RETRIES - 1) {
        throw ApiException.conflict(pods, name);
      }
    }
    ObjectNode ok = Json.object().put("kind", "Status").put("apiVersion", "v1");
    ok.putObject("metadata");
    return ok.put("status", "Success").put("code", 201);
  }

  private void setCondition(
      ObjectNode o, String type, String status, String reason, String message) {
    tools.jackson.databind.node.ArrayNode conditions =
        o.withObject("status").withArray("conditions");
    ObjectNode c = null;
    for (JsonNode existing : conditions) {
      if (Json.text(existing, "type").equals(type)) {
        c = (ObjectNode) existing;
      }
    }
    if (c == null) {
      c = conditions.addObject().put("type", type);
    }
    c.put("status", status).put("lastTransitionTime", now());
    c.putNull("lastProbeTime");
    c.remove(List.of("reason", "message"));
    if (!reason.isEmpty()) {
      c.put("reason", reason);
    }
    if (!message.isEmpty()) {
      c.put("message", message);
    }
  }

  private void afterDelete(ResourceType t, ObjectNode gone) {
    String ns = Json.text(gone, "metadata", "namespace");
    String uid = Json.text(gone, "metadata", "uid");
    if (t.kind().equals("Service")) {
      serviceIps.release(gone);
    }
    if (t.kind().equals("Namespace")) {
      String name = Json.text(gone, "metadata", "name");
      for (ResourceType r : registry.types()) {
        if (r.namespaced()) {
          store.deletePrefix(collection(r, name));
        }
      }
      return;
    }
    if (!t.namespaced()) {
      return;
    }
    for (ResourceType r : registry.types()) {
      if (!r.namespaced()) {
        continue;
      }
      for (ObjectNode dependent : list(r, ns, o -> ownedBy(o, uid), 0, "").items()) {
        try {
          delete(r, ns, Json.text(dependent, "metadata", "name"), Json.object(), false);
        } catch (ApiException e) {
          if (e.code() != 404) {
            throw e;
          }
        }
      }
    }
  }

  private static boolean ownedBy(ObjectNode o, String uid) {
    for (JsonNode ref : o.path("metadata").path("ownerReferences")) {
      if (Json.text(ref, "uid").equals(uid)) {
        return true;
      }
    }
    return false;
  }

  /** Creates the namespace {@code name} unless it exists (the built-in namespaces at start). */
  void ensureNamespaceExists(String name) {
    ResourceType ns = registry.find("", "v1", "namespaces").orElseThrow();
    if (store.get(key(ns, "", name)).isEmpty()) {
      ObjectNode o = Json.object();
      o.withObject("metadata").put("name", name);
      try {
        create(ns, "", o, false, Validation.STRICT);
      } catch (ApiException e) {
        if (!e.reason().equals("AlreadyExists")) {
          throw e;
        }
      }
    }
  }

  private void ensureNamespace(String ns, ResourceType t, String name) {
    ResourceType nsType = registry.find("", "v1", "namespaces").orElseThrow();
    Optional<Store.Item> item = store.get(key(nsType, "", ns));
    if (item.isEmpty()) {
      throw ApiException.notFound(nsType, ns);
    }
    if (Json.stored(item.get().value()).path("metadata").has("deletionTimestamp")) {
      throw ApiException.forbidden(
          t.qualifiedName()
              + " \""
              + name
              + "\" is forbidden: unable to create new content in namespace "
              + ns
              + " because it is being terminated");
    }
  }

  private static void checkKind(ResourceType t, ObjectNode body) {
    String kind = Json.text(body, "kind");
    String apiVersion = Json.text(body, "apiVersion");
    if ((!kind.isEmpty() && !kind.equals(t.kind()))
        || (!apiVersion.isEmpty() && !apiVersion.equals(t.apiVersion()))) {
      throw ApiException.badRequest(
          "the API version in the data ("
              + apiVersion
              + ") does not match the expected API version ("
              + t.apiVersion()
              + ") or the kind ("
              + kind
              + ") is not "
              + t.kind());
    }
  }

  private static void checkNamespace(ResourceType t, String ns, ObjectNode meta) {
    String given = Json.text(meta, "namespace");
    if (t.namespaced() && !given.isEmpty() && !given.equals(ns)) {
      throw ApiException.badRequest(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
  }

  private static List<String> fieldWarnings(ResourceType t, Objects.Decoded d, Validation v) {
    if (d.unknownFields().isEmpty() || v == Validation.IGNORE) {
      return List.of();
    }
    List<String> messages = new ArrayList<>();
    for (String f : d.unknownFields()) {
      messages.add("unknown field \"" + f + "\"");
    }
    if (v == Validation.STRICT) {
      // upstream's wording, which kubectl shows as it is
      throw ApiException.badRequest(
          t.kind()
              + " in version \""
              + t.version()
              + "\" cannot be handled as a "
              + t.kind()
              + ": strict decoding error: "
              + String.join(", ", messages));
    }
    return messages;
  }

  private String now() {
    return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static String randomSuffix() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      s.append(NAME_CHARS.charAt(RANDOM.nextInt(NAME_CHARS.length())));
    }
    return s.toString();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
