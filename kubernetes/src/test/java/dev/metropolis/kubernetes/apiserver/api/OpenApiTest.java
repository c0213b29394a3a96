package dev.metropolis.kubernetes.apiserver.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.kubernetes.apiserver.registry.Registry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class OpenApiTest {
  private final OpenApi openApi = new OpenApi(Registry.builtin());

  private JsonNode doc(String path) {
    return Json.parse(openApi.document(path).orElseThrow());
  }

  @Test
  void deploymentSchemaHasTypedPropertiesRefsAndRequiredFields() {
    JsonNode schemas = doc("apis/apps/v1").path("components").path("schemas");
    JsonNode deployment = schemas.path("io.k8s.api.apps.v1.Deployment");
    assertThat(deployment.path("x-kubernetes-group-version-kind").toString())
        .isEqualTo("[{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"}]");
    assertThat(deployment.path("properties").path("spec").path("$ref").asString())
        .isEqualTo("#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec");
    assertThat(deployment.path("properties").path("metadata").path("$ref").asString())
        .isEqualTo("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    JsonNode spec = schemas.path("io.k8s.api.apps.v1.DeploymentSpec");
    assertThat(spec.path("properties").path("replicas").toString())
        .isEqualTo("{\"type\":\"integer\",\"format\":\"int32\"}");
    assertThat(spec.path("required").toString()).isEqualTo("[\"selector\",\"template\"]");
    JsonNode meta = schemas.path("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    assertThat(meta.path("properties").path("labels").toString())
        .isEqualTo("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}");
    JsonNode podSpec = schemas.path("io.k8s.api.core.v1.PodSpec");
    assertThat(podSpec.path("properties").path("containers").toString())
        .isEqualTo(
            "{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/io.k8s.api.core.v1.Container\"},"
                + "\"x-kubernetes-patch-merge-key\":\"name\",\"x-kubernetes-patch-strategy\":\"merge\"}");
    JsonNode port = schemas.path("io.k8s.api.core.v1.ContainerPort").path("properties");
    assertThat(port.path("containerPort").path("type").asString()).isEqualTo("integer");
    JsonNode strategy = schemas.path("io.k8s.api.apps.v1.RollingUpdateDeployment");
    assertThat(strategy.path("properties").path("maxSurge").path("$ref").asString())
        .isEqualTo("#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString");
  }

  @Test
  void everyReferenceResolvesInItsOwnDocument() {
    for (String path : paths()) {
      JsonNode d = doc(path);
      List<String> refs = new ArrayList<>();
      collectRefs(d, refs);
      assertThat(refs).as(path).isNotEmpty();
      for (String ref : refs) {
        String name = ref.substring("#/components/schemas/".length());
        assertThat(d.path("components").path("schemas").has(name)).as(path + " " + ref).isTrue();
      }
    }
  }

  @Test
  void indexHashesAreStableAndDocumentsAreBuiltOnce() {
    OpenApi other = new OpenApi(Registry.builtin());
    assertThat(other.index()).isEqualTo(openApi.index());
    assertThat(openApi.document("api/v1").orElseThrow())
        .isSameAs(openApi.document("api/v1").orElseThrow());
    assertThat(openApi.document("apis/nosuch/v1")).isEmpty();
    assertThat(openApi.document("api/v2")).isEmpty();
  }

  private List<String> paths() {
    List<String> paths = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : openApi.index().path("paths").properties()) {
      paths.add(e.getKey());
    }
    return paths;
  }

  private static void collectRefs(JsonNode n, List<String> out) {
    if (n.isObject()) {
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        if (e.getKey().equals("$ref")) {
          out.add(e.getValue().asString());
        } else {
          collectRefs(e.getValue(), out);
        }
      }
    } else if (n.isArray()) {
      n.forEach(c -> collectRefs(c, out));
    }
  }
}
