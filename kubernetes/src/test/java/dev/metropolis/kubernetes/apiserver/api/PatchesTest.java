package dev.metropolis.kubernetes.apiserver.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class PatchesTest {
  private static JsonNode json(String s) {
    return Json.parse(s.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void mergePatchFollowsRfc7386() {
    JsonNode out =
        Patches.mergePatch(
            json("{'a':'b','c':{'d':'e','f':'g'},'l':[1,2]}"),
            json("{'a':'z','c':{'f':null},'l':[3]}"));
    assertThat(out).isEqualTo(json("{'a':'z','c':{'d':'e'},'l':[3]}"));
  }

  @Test
  void strategicMergeMergesKeyedListsAndHonoursDirectives() {
    JsonNode live =
        json(
            "{'spec':{'containers':[{'name':'a','image':'x:1','ports':[{'containerPort':80}]},"
                + "{'name':'b','image':'y:1'}],'args':['p','q']}}");
    JsonNode patch =
        json(
            "{'spec':{'$setElementOrder/containers':[{'name':'a'},{'name':'b'}],"
                + "'containers':[{'name':'a','image':'x:2'},{'name':'b','$patch':'delete'},"
                + "{'name':'c','image':'z:1'}],'$deleteFromPrimitiveList/args':['p']}}");
    assertThat(Patches.strategicMerge(live, patch, ""))
        .isEqualTo(
            json(
                "{'spec':{'containers':[{'name':'a','image':'x:2','ports':[{'containerPort':80}]},"
                    + "{'name':'c','image':'z:1'}],'args':['q']}}"));
  }

  @Test
  void jsonPatchAppliesOperationsInOrder() {
    JsonNode out =
        Patches.jsonPatch(
            json("{'a':{'b':1},'l':[1,2]}"),
            json(
                "[{'op':'add','path':'/a/c','value':2},{'op':'remove','path':'/a/b'},"
                    + "{'op':'add','path':'/l/-','value':3},{'op':'replace','path':'/l/0','value':0},"
                    + "{'op':'move','from':'/a/c','path':'/m'},{'op':'test','path':'/m','value':2}]"));
    assertThat(out).isEqualTo(json("{'a':{},'l':[0,2,3],'m':2}"));
  }

  @Test
  void jsonPatchRejectsBadOperations() {
    assertThatThrownBy(
            () -> Patches.jsonPatch(json("{}"), json("[{'op':'remove','path':'/missing'}]")))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("/missing");
    assertThatThrownBy(
            () -> Patches.jsonPatch(json("{'a':1}"), json("[{'op':'test','path':'/a','value':2}]")))
        .hasMessageContaining("testing value /a failed");
    assertThatThrownBy(() -> Patches.jsonPatch(json("{}"), json("{}")))
        .hasMessageContaining("JSON array");
  }
}
