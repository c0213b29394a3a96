package dev.metropolis.kubernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.kubernetes.apiserver.api.Json;
import io.etcd.jetcd.options.CompactOption;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The HTTP API directly: status codes, content types and bodies kubectl does not show. */
class ApiHttpTest {
  private static TestCluster cluster;
  private static HttpClient owner;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start();
    owner = cluster.http("owner");
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static HttpResponse<String> send(
      HttpClient client, String method, String path, String contentType, String body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cluster.url() + path));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path, String accept) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cluster.url() + path));
    if (accept != null) {
      b.header("Accept", accept);
    }
    return owner.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) {
    return Json.parse(r.body().getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void anonymousGets401Status() throws Exception {
    HttpResponse<String> r = send(cluster.http(null), "GET", "/api/v1/pods", null, null);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(json(r).toString())
        .isEqualTo(
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                + "\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}");
    assertThat(send(cluster.http(null), "GET", "/healthz", null, null).body()).isEqualTo("ok");
  }

  @Test
  void http2IsNegotiatedAndStreamsWatches() throws Exception {
    HttpClient h2 = cluster.http("owner", HttpClient.Version.HTTP_2);
    HttpResponse<String> r =
        h2.send(
            HttpRequest.newBuilder(URI.create(cluster.url() + "/api/v1/namespaces")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(json(r).path("kind").asString()).isEqualTo("NamespaceList");
    HttpResponse<String> watch =
        h2.send(
            HttpRequest.newBuilder(
                    URI.create(cluster.url() + "/api/v1/namespaces?watch=1&timeoutSeconds=1"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(watch.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(watch.body())
        .startsWith("{\"type\":\"ADDED\",\"object\":{")
        .contains("\"name\":\"default\"");
    HttpResponse<String> anonymous =
        cluster
            .http(null, HttpClient.Version.HTTP_2)
            .send(
                HttpRequest.newBuilder(URI.create(cluster.url() + "/api")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(401);
  }

  @Test
  void watchOverWebSocket() throws Exception {
    java.util.concurrent.BlockingQueue<String> messages =
        new java.util.concurrent.LinkedBlockingQueue<>();
    java.net.http.WebSocket ws =
        cluster
            .http("owner")
            .newWebSocketBuilder()
            .buildAsync(
                URI.create(
                    cluster.url().replace("https:", "wss:")
                        + "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0"),
                new java.net.http.WebSocket.Listener() {
                  @Override
                  public java.util.concurrent.CompletionStage<?> onText(
                      java.net.http.WebSocket w, CharSequence data, boolean last) {
                    messages.add(data.toString());
                    w.request(1);
                    return null;
                  }
                })
            .get();
    send(
        owner,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        "{\"metadata\":{\"name\":\"over-ws\"}}");
    String event = messages.poll(30, java.util.concurrent.TimeUnit.SECONDS);
    // every existing config map first, so look for ours
    while (event != null && !event.contains("\"over-ws\"")) {
      event = messages.poll(30, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertThat(event).startsWith("{\"type\":\"ADDED\"").doesNotEndWith("\n");
    ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "").get();
  }

  @Test
  void versionAndDiscovery() throws Exception {
    assertThat(json(get("/version", null)).path("minor").asString()).isEqualTo("32");
    HttpResponse<String> v2 =
        get(
            "/apis",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
    assertThat(v2.headers().firstValue("Content-Type"))
        .hasValue("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    assertThat(json(v2).path("apiVersion").asString()).isEqualTo("apidiscovery.k8s.io/v2");
    HttpResponse<String> beta =
        get(
            "/api",
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json");
    assertThat(json(beta).path("apiVersion").asString()).isEqualTo("apidiscovery.k8s.io/v2beta1");
    assertThat(json(beta).path("items").get(0).path("metadata").path("name").asString()).isEmpty();
    assertThat(json(get("/api", "application/json")).path("versions").get(0).asString())
        .isEqualTo("v1");
    JsonNode apps = json(get("/apis/apps/v1", null));
    assertThat(apps.path("groupVersion").asString()).isEqualTo("apps/v1");
    assertThat(apps.path("resources").toString()).contains("\"name\":\"deployments/scale\"");
    assertThat(get("/openapi/v2", null).statusCode()).isEqualTo(404);
    String index =
        json(get("/openapi/v3", null))
            .path("paths")
            .path("apis/apps/v1")
            .path("serverRelativeURL")
            .asString();
    assertThat(get(index, null).body())
        .contains("fieldValidation")
        .contains("\"kind\":\"Deployment\"");
    assertThat(get("/apis/nothing.example.com/v1", null).statusCode()).isEqualTo(404);
  }

  @Test
  void writesFillMetadataAndCheckVersions() throws Exception {
    String path = "/api/v1/namespaces/default/configmaps";
    HttpResponse<String> created =
        send(
            owner,
            "POST",
            path,
            "application/json",
            "{\"metadata\":{\"generateName\":\"gen-\"},\"data\":{\"a\":\"1\"}}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode cm = json(created);
    String name = cm.path("metadata").path("name").asString();
    assertThat(name).matches("gen-[a-z0-9]{5}");
    assertThat(cm.path("metadata").path("uid").asString()).hasSize(36);
    assertThat(cm.path("metadata").path("creationTimestamp").asString()).matches(".*T.*Z");
    // like upstream, only kinds with controllers that observe it keep a generation
    assertThat(cm.path("metadata").has("generation")).isFalse();
    String rv = cm.path("metadata").path("resourceVersion").asString();

    // a create that carries a resourceVersion is refused
    HttpResponse<String> withRv =
        send(
            owner,
            "POST",
            path,
            "application/json",
            "{\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"5\"}}");
    assertThat(withRv.statusCode()).isEqualTo(400);

    // dry run changes nothing
    HttpResponse<String> dry =
        send(
            owner,
            "POST",
            path + "?dryRun=All",
            "application/json",
            "{\"metadata\":{\"name\":\"dry\"}}");
    assertThat(dry.statusCode()).isEqualTo(201);
    assertThat(get(path + "/dry", null).statusCode()).isEqualTo(404);

    // Warn keeps the object and reports the unknown field in a Warning header
    HttpResponse<String> warn =
        send(
            owner,
            "POST",
            path + "?fieldValidation=Warn",
            "application/json",
            "{\"metadata\":{\"name\":\"warned\"},\"extra\":1}");
    assertThat(warn.statusCode()).isEqualTo(201);
    assertThat(warn.headers().firstValue("Warning"))
        .hasValue("299 - \"unknown field \\\"extra\\\"\"");

    // an update with the current resourceVersion succeeds once; the second with it conflicts
    String update =
        "{\"metadata\":{\"name\":\""
            + name
            + "\",\"resourceVersion\":\""
            + rv
            + "\"},\"data\":{\"a\":\"2\"}}";
    assertThat(send(owner, "PUT", path + "/" + name, "application/json", update).statusCode())
        .isEqualTo(200);
    HttpResponse<String> stale = send(owner, "PUT", path + "/" + name, "application/json", update);
    assertThat(stale.statusCode()).isEqualTo(409);
    assertThat(json(stale).path("reason").asString()).isEqualTo("Conflict");

    // malformed JSON and an unknown patch type
    assertThat(send(owner, "POST", path, "application/json", "{nope").statusCode()).isEqualTo(400);
    assertThat(send(owner, "PATCH", path + "/" + name, "text/plain", "{}").statusCode())
        .isEqualTo(415);
    assertThat(get("/api/v1/pods?fieldSelector=spec.bogus%3Dx", null).body())
        .contains("field label not supported: spec.bogus");
  }

  @Test
  void finalizersHoldDeletion() throws Exception {
    String path = "/api/v1/namespaces/default/configmaps";
    send(
        owner,
        "POST",
        path,
        "application/json",
        "{\"metadata\":{\"name\":\"held\",\"finalizers\":[\"example.com/hold\"]}}");
    HttpResponse<String> deleted = send(owner, "DELETE", path + "/held", null, null);
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(json(deleted).path("metadata").has("deletionTimestamp")).isTrue();
    assertThat(get(path + "/held", null).statusCode()).isEqualTo(200);
    HttpResponse<String> released =
        send(
            owner,
            "PATCH",
            path + "/held",
            "application/merge-patch+json",
            "{\"metadata\":{\"finalizers\":null}}");
    assertThat(released.statusCode()).as(released.body()).isEqualTo(200);
    assertThat(get(path + "/held", null).statusCode()).isEqualTo(404);
  }

  @Test
  void servicesGetClusterIps() throws Exception {
    String path = "/api/v1/namespaces/default/services";
    String a =
        json(send(
                owner,
                "POST",
                path,
                "application/json",
                "{\"metadata\":{\"name\":\"svc-a\"},\"spec\":{\"ports\":[{\"port\":80}]}}"))
            .path("spec")
            .path("clusterIP")
            .asString();
    String b =
        json(send(
                owner,
                "POST",
                path,
                "application/json",
                "{\"metadata\":{\"name\":\"svc-b\"},\"spec\":{\"ports\":[{\"port\":80}]}}"))
            .path("spec")
            .path("clusterIP")
            .asString();
    assertThat(a).startsWith("10.96.");
    assertThat(b).startsWith("10.96.").isNotEqualTo(a);
    HttpResponse<String> bad =
        send(owner, "POST", path, "application/json", "{\"metadata\":{\"name\":\"1svc\"}}");
    assertThat(bad.statusCode()).isEqualTo(422);
    assertThat(json(bad).path("details").path("causes").get(0).path("field").asString())
        .isEqualTo("metadata.name");
  }

  @Test
  void deletingAnOwnerDeletesItsDependents() throws Exception {
    String rs = "/apis/apps/v1/namespaces/default/replicasets";
    String pods = "/api/v1/namespaces/default/pods";
    for (String name : new String[] {"gc-cascade", "gc-orphan"}) {
      String uid =
          json(send(
                  owner,
                  "POST",
                  rs,
                  "application/json",
                  "{\"metadata\":{\"name\":\""
                      + name
                      + "\"},\"spec\":{\"selector\":{\"matchLabels\":{\"a\":\"b\"}},"
                      + "\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},"
                      + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}"))
              .path("metadata")
              .path("uid")
              .asString();
      HttpResponse<String> pod =
          send(
              owner,
              "POST",
              pods,
              "application/json",
              "{\"metadata\":{\"name\":\""
                  + name
                  + "-pod\",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
                  + "\"kind\":\"ReplicaSet\",\"name\":\""
                  + name
                  + "\",\"uid\":\""
                  + uid
                  + "\"}]},"
                  + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}");
      assertThat(pod.statusCode()).as(pod.body()).isEqualTo(201);
    }
    send(
        owner,
        "DELETE",
        rs + "/gc-cascade",
        "application/json",
        "{\"propagationPolicy\":\"Background\"}");
    send(
        owner,
        "DELETE",
        rs + "/gc-orphan",
        "application/json",
        "{\"propagationPolicy\":\"Orphan\"}");
    assertThat(get(pods + "/gc-cascade-pod", null).statusCode()).isEqualTo(404);
    assertThat(get(pods + "/gc-orphan-pod", null).statusCode()).isEqualTo(200);
  }

  @Test
  void tablesCarryColumnsAndPartialMetadata() throws Exception {
    send(
        owner,
        "POST",
        "/api/v1/namespaces/default/events",
        "application/json",
        "{\"metadata\":{\"name\":\"ev1\"},\"type\":\"Warning\",\"reason\":\"BackOff\","
            + "\"message\":\"restarting\",\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"p1\"}}");
    HttpResponse<String> r =
        get(
            "/api/v1/namespaces/default/events",
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValue("application/json;as=Table;v=v1;g=meta.k8s.io");
    JsonNode table = json(r);
    assertThat(table.path("columnDefinitions").findValuesAsString("name"))
        .containsExactly("Last Seen", "Type", "Reason", "Object", "Message");
    JsonNode row = table.path("rows").get(0);
    assertThat(row.path("cells").get(1).asString()).isEqualTo("Warning");
    assertThat(row.path("cells").get(3).asString()).isEqualTo("pod/p1");
    assertThat(row.path("object").path("kind").asString()).isEqualTo("PartialObjectMetadata");
    assertThat(row.path("object").path("metadata").path("name").asString()).isEqualTo("ev1");
  }

  @Test
  void listPagesWithContinue() throws Exception {
    send(
        owner,
        "POST",
        "/api/v1/namespaces",
        "application/json",
        "{\"metadata\":{\"name\":\"paged\"}}");
    for (int i = 0; i < 5; i++) {
      send(
          owner,
          "POST",
          "/api/v1/namespaces/paged/secrets",
          "application/json",
          "{\"metadata\":{\"name\":\"s" + i + "\"},\"stringData\":{\"k\":\"v\"}}");
    }
    JsonNode first = json(get("/api/v1/namespaces/paged/secrets?limit=2", null));
    assertThat(first.path("items").size()).isEqualTo(2);
    String cont = first.path("metadata").path("continue").asString();
    assertThat(cont).isNotEmpty();
    JsonNode second = json(get("/api/v1/namespaces/paged/secrets?limit=10&continue=" + cont, null));
    assertThat(second.path("items").size()).isEqualTo(3);
    assertThat(second.path("metadata").has("continue")).isFalse();
  }

  @Test
  void watchResumesAndExpires() throws Exception {
    String path = "/api/v1/namespaces/default/serviceaccounts";
    JsonNode sa =
        json(send(owner, "POST", path, "application/json", "{\"metadata\":{\"name\":\"w1\"}}"));
    String rv = sa.path("metadata").path("resourceVersion").asString();
    send(owner, "POST", path, "application/json", "{\"metadata\":{\"name\":\"w2\"}}");
    HttpResponse<InputStream> watch =
        owner.send(
            HttpRequest.newBuilder(
                    URI.create(
                        cluster.url()
                            + path
                            + "?watch=true&resourceVersion="
                            + rv
                            + "&timeoutSeconds=5"))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(watch.body(), StandardCharsets.UTF_8))) {
      JsonNode event = Json.parse(in.readLine().getBytes(StandardCharsets.UTF_8));
      assertThat(event.path("type").asString()).isEqualTo("ADDED");
      assertThat(event.path("object").path("metadata").path("name").asString()).isEqualTo("w2");
    }

    long now =
        Long.parseLong(json(get(path, null)).path("metadata").path("resourceVersion").asString());
    cluster
        .client
        .getKVClient()
        .compact(now, CompactOption.builder().withCompactPhysical(true).build())
        .get();
    // compaction keeps revision `now` itself, so ask for changes after rv - 1 (from rv on)
    HttpResponse<String> expired =
        get(
            path + "?watch=true&resourceVersion=" + (Long.parseLong(rv) - 1) + "&timeoutSeconds=5",
            null);
    JsonNode error =
        Json.parse(
            expired.body().lines().findFirst().orElseThrow().getBytes(StandardCharsets.UTF_8));
    assertThat(error.path("type").asString()).isEqualTo("ERROR");
    assertThat(error.path("object").path("code").asInt()).isEqualTo(410);
  }
}
