package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.auth.Attributes;
import dev.metropolis.kubernetes.apiserver.auth.Authorizer;
import dev.metropolis.kubernetes.apiserver.auth.User;
import dev.metropolis.kubernetes.apiserver.http.Exchange;
import dev.metropolis.kubernetes.apiserver.http.Handler;
import dev.metropolis.kubernetes.apiserver.http.Request;
import dev.metropolis.kubernetes.apiserver.registry.Registry;
import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import dev.metropolis.kubernetes.apiserver.storage.Store;
import dev.metropolis.kubernetes.apiserver.storage.StoreException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Routes requests: health, version, discovery, OpenAPI, and the resource URL space {@code
 * /api/v1/...} and {@code /apis/<group>/<version>/...} to the verbs. Every error becomes a Status.
 */
public final class ApiHandler implements Handler {
  private static final String JSON = "application/json";
  private static final String APPLY_PATCH = "application/apply-patch+yaml";

  private final Registry registry;
  private final Authorizer authorizer;
  private final Resources resources;
  private final Watches watches;
  private final Discovery discovery;
  private final OpenApi openApi;
  private final Clock clock;
  private final String serverAddress;

  public ApiHandler(
      Registry registry,
      Store store,
      String prefix,
      Authorizer authorizer,
      Clock clock,
      String serverAddress) {
    this.registry = registry;
    this.authorizer = authorizer;
    this.resources = new Resources(registry, store, prefix, clock);
    this.watches = new Watches(resources, store, clock);
    this.discovery = new Discovery(registry);
    this.openApi = new OpenApi(registry);
    this.clock = clock;
    this.serverAddress = serverAddress;
  }

  /**
   * Creates the namespaces every cluster has (default, kube-system, kube-public, kube-node-lease).
   */
  public void bootstrap() {
    for (String ns : List.of("default", "kube-system", "kube-public", "kube-node-lease")) {
      resources.ensureNamespaceExists(ns);
    }
  }

  @Override
  public void handle(Request r, Exchange x) {
    try {
      route(r, x);
    } catch (ApiException e) {
      send(x, e.code(), e.status(), List.of());
    } catch (StoreException e) {
      send(x, 500, ApiException.internal("storage error: " + e.getMessage()).status(), List.of());
    }
  }

  private void route(Request r, Exchange x) {
    String path = r.path();
    if (path.equals("/healthz")
        || path.equals("/livez")
        || path.equals("/readyz")
        || path.startsWith("/healthz/")
        || path.startsWith("/livez/")
        || path.startsWith("/readyz/")) {
      x.respond(200, "text/plain; charset=utf-8", "ok".getBytes(StandardCharsets.UTF_8), List.of());
      return;
    }
    User user = r.user().orElseThrow(ApiException::unauthorized);
    if (path.equals("/version")) {
      send(x, 200, version(), List.of());
      return;
    }
    if (path.equals("/openapi/v2")) {
      throw ApiException.notFound("the server could not find the requested resource");
    }
    if (path.equals("/openapi/v3")) {
      send(x, 200, openApi.index(), List.of());
      return;
    }
    if (path.startsWith("/openapi/v3/")) {
      String gv = path.substring("/openapi/v3/".length());
      byte[] doc =
          openApi
              .document(gv)
              .orElseThrow(
                  () -> ApiException.notFound("the server could not find the requested resource"));
      x.respond(200, JSON, doc, List.of());
      return;
    }
    List<String> seg = new ArrayList<>(Arrays.asList(path.substring(1).split("/")));
    seg.removeIf(String::isEmpty);
    String group;
    String version;
    List<String> rest;
    if (!seg.isEmpty() && seg.getFirst().equals("api")) {
      if (seg.size() == 1) {
        discoveryRoot(r, x, true);
        return;
      }
      group = "";
      version = seg.get(1);
      rest = seg.subList(2, seg.size());
    } else if (!seg.isEmpty() && seg.getFirst().equals("apis")) {
      if (seg.size() == 1) {
        discoveryRoot(r, x, false);
        return;
      }
      group = seg.get(1);
      if (seg.size() == 2) {
        if (registry.versions(group).isEmpty()) {
          throw notFound();
        }
        send(x, 200, discovery.group(group), List.of());
        return;
      }
      version = seg.get(2);
      rest = seg.subList(3, seg.size());
    } else {
      throw notFound();
    }
    if (registry.inGroupVersion(group, version).isEmpty()) {
      throw notFound();
    }
    if (rest.isEmpty()) {
      if (!r.method().equals("GET")) {
        throw ApiException.methodNotAllowed(
            "the server does not allow this method on the requested resource");
      }
      send(x, 200, discovery.resourceList(group, version), List.of());
      return;
    }
    String ns = "";
    if (rest.size() >= 3 && rest.get(0).equals("namespaces")) {
      ResourceType nested = registry.find(group, version, rest.get(2)).orElse(null);
      if (nested != null && nested.namespaced()) {
        ns = rest.get(1);
        rest = rest.subList(2, rest.size());
      }
    }
    ResourceType t =
        registry.find(group, version, rest.getFirst()).orElseThrow(ApiHandler::notFound);
    if (rest.size() > 3) {
      throw notFound();
    }
    String name = rest.size() > 1 ? rest.get(1) : "";
    String sub = rest.size() > 2 ? rest.get(2) : "";
    if (!sub.isEmpty() && !t.subresources().contains(sub)) {
      throw notFound();
    }
    if (!t.stored()) {
      if (!r.method().equals("POST") || !name.isEmpty()) {
        throw ApiException.methodNotAllowed(
            "the server does not allow this method on the requested resource");
      }
      send(x, 201, Reviews.answer(t, user, authorizer, body(r)), List.of());
      return;
    }
    if (!authorizer.allows(user, attributes(user, r, t, ns, name, sub))) {
      throw forbidden(user, r, t, ns, name);
    }
    if (name.isEmpty()) {
      collection(r, x, t, ns);
    } else {
      item(r, x, t, ns, name, sub);
    }
  }

  private void discoveryRoot(Request r, Exchange x, boolean core) {
    String aggregated = Discovery.aggregatedType(r.header("accept"));
    if (aggregated != null) {
      x.respond(200, aggregated, Json.bytes(discovery.aggregated(core, aggregated)), List.of());
    } else {
      // the address the client reached us at, as upstream advertises its own
      String address = r.header("host").isEmpty() ? serverAddress : r.header("host");
      send(x, 200, core ? discovery.legacyApi(address) : discovery.legacyApis(), List.of());
    }
  }

  private void collection(Request r, Exchange x, ResourceType t, String ns) {
    switch (r.method()) {
      case "GET" -> {
        Predicate<ObjectNode> filter = filter(r, t);
        if (r.flag("watch")) {
          long timeout = 0;
          if (!r.param("timeoutSeconds").isEmpty()) {
            try {
              timeout = Long.parseLong(r.param("timeoutSeconds"));
            } catch (NumberFormatException e) {
              throw ApiException.badRequest("invalid timeoutSeconds: " + r.param("timeoutSeconds"));
            }
          }
          watches.serve(
              new Watches.Spec(
                  t,
                  ns,
                  filter,
                  r.param("resourceVersion"),
                  r.flag("allowWatchBookmarks"),
                  timeout,
                  Tables.wanted(r.header("accept"))),
              x);
          return;
        }
        long limit = 0;
        if (!r.param("limit").isEmpty()) {
          try {
            limit = Long.parseLong(r.param("limit"));
          } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid limit: " + r.param("limit"));
          }
        }
        Resources.ListPage page = resources.list(t, ns, filter, limit, r.param("continue"));
        if (Tables.wanted(r.header("accept"))) {
          sendTable(r, x, t, page.items(), Long.toString(page.revision()), page.continueToken());
          return;
        }
        ObjectNode list = Json.object();
        list.put("kind", t.listKind()).put("apiVersion", t.apiVersion());
        ObjectNode meta = list.putObject("metadata");
        meta.put("resourceVersion", Long.toString(page.revision()));
        if (!page.continueToken().isEmpty()) {
          meta.put("continue", page.continueToken());
        }
        ArrayNode items = list.putArray("items");
        page.items().forEach(items::add);
        send(x, 200, list, List.of());
      }
      case "POST" -> {
        Resources.Written w = resources.create(t, ns, body(r), dryRun(r), validation(r));
        send(x, w.code(), w.object(), w.warnings());
      }
      case "DELETE" -> {
        Resources.ListPage page = resources.list(t, ns, filter(r, t), 0, "");
        ObjectNode list = Json.object();
        list.put("kind", t.listKind()).put("apiVersion", t.apiVersion());
        list.putObject("metadata");
        ArrayNode items = list.putArray("items");
        for (ObjectNode o : page.items()) {
          items.add(
              resources.delete(
                  t,
                  Json.text(o, "metadata", "namespace"),
                  Json.text(o, "metadata", "name"),
                  deleteOptions(r),
                  dryRun(r)));
        }
        send(x, 200, list, List.of());
      }
      default ->
          throw ApiException.methodNotAllowed(
              "the server does not allow this method on the requested resource");
    }
  }

  private void item(Request r, Exchange x, ResourceType t, String ns, String name, String sub) {
    if (sub.equals("scale")) {
      Scales.handle(r, x, t, ns, name, resources, this);
      return;
    }
    if (sub.equals("binding")) {
      if (!r.method().equals("POST")) {
        throw ApiException.methodNotAllowed(
            "the server does not allow this method on the requested resource");
      }
      send(x, 201, resources.bind(ns, name, body(r), dryRun(r)), List.of());
      return;
    }
    if (List.of("log", "exec", "attach", "portforward").contains(sub)) {
      // No node runs containers yet (the kubelet's runtime is a later issue): say so, for a pod
      // that exists, instead of a 404 that would read like a missing pod.
      ObjectNode pod = resources.get(t, ns, name);
      String node = Json.text(pod, "spec", "nodeName");
      String what =
          switch (sub) {
            case "log" -> "logs are";
            case "portforward" -> "port forwarding is";
            default -> sub + " is";
          };
      throw ApiException.badRequest(
          "pod \""
              + name
              + "\": "
              + what
              + " not yet supported on this node: "
              + (node.isEmpty()
                  ? "the pod is not scheduled to a node"
                  : "node " + node + " runs no containers yet"));
    }
    if (sub.equals("finalize") && !r.method().equals("PUT")) {
      throw ApiException.methodNotAllowed(
          "the server does not allow this method on the requested resource");
    }
    switch (r.method()) {
      case "GET" -> {
        ObjectNode o = resources.get(t, ns, name);
        if (Tables.wanted(r.header("accept"))) {
          sendTable(r, x, t, List.of(o), Json.text(o, "metadata", "resourceVersion"), "");
        } else {
          send(x, 200, o, List.of());
        }
      }
      case "PUT" -> {
        Resources.Written w = resources.update(t, ns, name, sub, body(r), dryRun(r), validation(r));
        send(x, w.code(), w.object(), w.warnings());
      }
      case "PATCH" -> {
        String contentType = mediaType(r.header("content-type"));
        Resources.Written w;
        try {
          w = resources.patch(t, ns, name, sub, contentType, r.body(), dryRun(r), validation(r));
        } catch (ApiException e) {
          // server-side apply creates what is missing (simplified: no managedFields yet)
          if (e.code() != 404 || !contentType.equals(APPLY_PATCH) || !sub.isEmpty()) {
            throw e;
          }
          ObjectNode o = Json.parseObject(r.body());
          o.withObject("metadata").put("name", name);
          w = resources.create(t, ns, o, dryRun(r), validation(r));
        }
        send(x, w.code(), w.object(), w.warnings());
      }
      case "DELETE" -> {
        if (!sub.isEmpty()) {
          throw ApiException.methodNotAllowed(
              "the server does not allow this method on the requested resource");
        }
        send(x, 200, resources.delete(t, ns, name, deleteOptions(r), dryRun(r)), List.of());
      }
      default ->
          throw ApiException.methodNotAllowed(
              "the server does not allow this method on the requested resource");
    }
  }

  private void sendTable(
      Request r, Exchange x, ResourceType t, List<ObjectNode> items, String rv, String cont) {
    ObjectNode table =
        Tables.table(t, items, rv, cont, r.param("includeObject"), true, clock.instant());
    x.respond(200, Tables.CONTENT_TYPE, Json.bytes(table), List.of());
  }

  void send(Exchange x, int code, ObjectNode body, List<String> warnings) {
    x.respond(code, JSON, Json.bytes(body), warnings);
  }

  private static Predicate<ObjectNode> filter(Request r, ResourceType t) {
    Predicate<ObjectNode> p = o -> true;
    if (!r.param("labelSelector").isEmpty()) {
      p = p.and(Selectors.labels(r.param("labelSelector")));
    }
    if (!r.param("fieldSelector").isEmpty()) {
      p = p.and(Selectors.fields(r.param("fieldSelector"), t.kind()));
    }
    return p;
  }

  static boolean dryRun(Request r) {
    String d = r.param("dryRun");
    if (d.isEmpty()) {
      return false;
    }
    if (!d.equals("All")) {
      throw ApiException.badRequest(
          "dryRun: Unsupported value: \"" + d + "\": supported values: \"All\"");
    }
    return true;
  }

  static Resources.Validation validation(Request r) {
    return Resources.Validation.of(r.param("fieldValidation"));
  }

  private static ObjectNode deleteOptions(Request r) {
    ObjectNode o = r.body().length == 0 ? Json.object() : Json.parseObject(r.body());
    if (!r.param("propagationPolicy").isEmpty()) {
      o.put("propagationPolicy", r.param("propagationPolicy"));
    }
    return o;
  }

  /** The object in a create or update body: JSON, or protobuf from typed clients. */
  static ObjectNode body(Request r) {
    String type = mediaType(r.header("content-type"));
    if (type.equals(Protobuf.CONTENT_TYPE)) {
      return Protobuf.decode(r.body());
    }
    if (!type.isEmpty() && !type.equals(JSON) && !type.equals("*/*")) {
      throw ApiException.unsupportedMediaType(type);
    }
    return Json.parseObject(r.body());
  }

  private static String mediaType(String contentType) {
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi))
        .trim()
        .toLowerCase(Locale.ROOT);
  }

  private static ApiException notFound() {
    return ApiException.notFound("the server could not find the requested resource");
  }

  private static String verb(Request r, String name) {
    return switch (r.method()) {
      case "GET" -> r.flag("watch") ? "watch" : name.isEmpty() ? "list" : "get";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> name.isEmpty() ? "deletecollection" : "delete";
      default -> r.method().toLowerCase(Locale.ROOT);
    };
  }

  /**
   * The request in authorization terms. A create names its object in the body; only users who are
   * not cluster-admin need it (a node may create only its own Node and Lease), so only they pay for
   * reading it here.
   */
  private Attributes attributes(
      User user, Request r, ResourceType t, String ns, String name, String sub) {
    String object = name;
    if (object.isEmpty() && r.method().equals("POST") && !authorizer.isAdmin(user)) {
      try {
        object = body(r).path("metadata").path("name").asString("");
      } catch (ApiException e) {
        object = ""; // the create itself reports the malformed body, if it is allowed at all
      }
    }
    return new Attributes(verb(r, name), t.group(), t.resource(), sub, ns, object);
  }

  private static ApiException forbidden(
      User user, Request r, ResourceType t, String ns, String name) {
    String verb = verb(r, name);
    String what = t.qualifiedName() + (name.isEmpty() ? "" : " \"" + name + "\"");
    String scope = ns.isEmpty() ? " at the cluster scope" : " in the namespace \"" + ns + "\"";
    return ApiException.forbidden(
        what
            + " is forbidden: User \""
            + user.name()
            + "\" cannot "
            + verb
            + " resource \""
            + t.resource()
            + "\" in API group \""
            + t.group()
            + "\""
            + scope);
  }

  private static ObjectNode version() {
    ObjectNode v = Json.object();
    v.put("major", "1").put("minor", "32").put("gitVersion", "v1.32.0-metropolis");
    v.put("gitCommit", "0000000000000000000000000000000000000000").put("gitTreeState", "clean");
    v.put("buildDate", "2026-01-01T00:00:00Z")
        .put("goVersion", "java" + Runtime.version().feature());
    v.put("compiler", "javac").put("platform", "linux/amd64");
    return v;
  }
}
