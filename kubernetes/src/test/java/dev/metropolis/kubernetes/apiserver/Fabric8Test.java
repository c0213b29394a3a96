package dev.metropolis.kubernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** fabric8's Kubernetes client (JDK HTTP) as a second real client: CRUD, errors, an informer. */
class Fabric8Test {
  private static TestCluster cluster;
  private static KubernetesClient client;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start();
    client = cluster.fabric8("owner");
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    cluster.close();
  }

  @Test
  void crudAndErrors() {
    ConfigMap cm =
        client
            .configMaps()
            .resource(
                new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("f8")
                    .endMetadata()
                    .withData(Map.of("a", "1"))
                    .build())
            .create();
    assertThat(cm.getMetadata().getUid()).hasSize(36);
    client
        .configMaps()
        .withName("f8")
        .edit(c -> new ConfigMapBuilder(c).addToData("b", "2").build());
    assertThat(client.configMaps().withName("f8").get().getData()).containsEntry("b", "2");
    Deployment d =
        client
            .apps()
            .deployments()
            .resource(
                new DeploymentBuilder()
                    .withNewMetadata()
                    .withName("f8-web")
                    .endMetadata()
                    .withNewSpec()
                    .withNewSelector()
                    .addToMatchLabels("app", "f8")
                    .endSelector()
                    .withNewTemplate()
                    .withNewMetadata()
                    .addToLabels("app", "f8")
                    .endMetadata()
                    .withNewSpec()
                    .addNewContainer()
                    .withName("web")
                    .withImage("nginx")
                    .endContainer()
                    .endSpec()
                    .endTemplate()
                    .endSpec()
                    .build())
            .create();
    assertThat(d.getSpec().getReplicas()).isEqualTo(1);
    try {
      client
          .configMaps()
          .resource(new ConfigMapBuilder().withNewMetadata().withName("f8").endMetadata().build())
          .create();
      throw new AssertionError("a second create must fail");
    } catch (KubernetesClientException e) {
      assertThat(e.getCode()).isEqualTo(409);
      assertThat(e.getStatus().getReason()).isEqualTo("AlreadyExists");
    }
    assertThat(client.configMaps().withName("f8").delete()).hasSize(1);
    assertThat(client.configMaps().withName("f8").get()).isNull();
  }

  @Test
  void informerSeesAddsUpdatesAndDeletes() throws Exception {
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    SharedIndexInformer<ConfigMap> informer =
        client
            .configMaps()
            .inNamespace("kube-public")
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(ConfigMap o) {
                    events.add("add " + o.getMetadata().getName());
                  }

                  @Override
                  public void onUpdate(ConfigMap old, ConfigMap o) {
                    events.add("update " + o.getMetadata().getName());
                  }

                  @Override
                  public void onDelete(ConfigMap o, boolean unknown) {
                    events.add("delete " + o.getMetadata().getName());
                  }
                });
    try {
      ConfigMap cm =
          new ConfigMapBuilder()
              .withNewMetadata()
              .withName("informed")
              .withNamespace("kube-public")
              .endMetadata()
              .build();
      client.configMaps().inNamespace("kube-public").resource(cm).create();
      assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo("add informed");
      client
          .configMaps()
          .inNamespace("kube-public")
          .withName("informed")
          .edit(c -> new ConfigMapBuilder(c).addToData("k", "v").build());
      assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo("update informed");
      client.configMaps().inNamespace("kube-public").withName("informed").delete();
      assertThat(events.poll(30, TimeUnit.SECONDS)).isEqualTo("delete informed");
    } finally {
      informer.close();
    }
  }
}
