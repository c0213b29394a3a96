package dev.metropolis.kubernetes.apiserver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class SelectorsTest {
  private static final ObjectNode POD =
      Json.parseObject(
          ("{'metadata':{'name':'p','namespace':'n','labels':{'app':'web','tier':'front'}},"
                  + "'spec':{'nodeName':'node-1'},'status':{'phase':'Running'}}")
              .replace('\'', '"')
              .getBytes(StandardCharsets.UTF_8));

  private static boolean labels(String selector) {
    Predicate<ObjectNode> p = Selectors.labels(selector);
    return p.test(POD);
  }

  @Test
  void labelSelectors() {
    assertThat(labels("app=web")).isTrue();
    assertThat(labels("app==web,tier=front")).isTrue();
    assertThat(labels("app!=web")).isFalse();
    assertThat(labels("app in (db, web)")).isTrue();
    assertThat(labels("app notin (db,web)")).isFalse();
    assertThat(labels("tier,!canary")).isTrue();
    assertThat(labels("canary")).isFalse();
    assertThat(labels("")).isTrue();
    assertThatThrownBy(() -> Selectors.labels("a b=c"))
        .hasMessageContaining("invalid label key \"a b\"");
  }

  @Test
  void fieldSelectors() {
    assertThat(Selectors.fields("metadata.name=p", "Pod").test(POD)).isTrue();
    assertThat(
            Selectors.fields(
                    "spec.nodeName=node-1,status.phase!=Succeeded,status.phase!=Failed", "Pod")
                .test(POD))
        .isTrue();
    assertThat(Selectors.fields("metadata.namespace==other", "Pod").test(POD)).isFalse();
    assertThatThrownBy(() -> Selectors.fields("spec.nodeName=x", "ConfigMap"))
        .hasMessage("field label not supported: spec.nodeName");
    assertThatThrownBy(() -> Selectors.fields("nonsense", "Pod"))
        .hasMessageContaining("can't understand 'nonsense'");
  }
}
