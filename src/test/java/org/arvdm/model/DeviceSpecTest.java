package org.arvdm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

/** {@code arvdm.device} against fake GPU counts: the paths a GPU node takes, checked without one. */
class DeviceSpecTest {

    @Test
    void autoTakesTheFirstGpuWhenTheEngineSeesOneElseTheCpu() {
        assertThat(DeviceSpec.resolve("auto", 0)).isEqualTo(Device.cpu());
        assertThat(DeviceSpec.resolve("auto", 1)).isEqualTo(Device.gpu(0));
        assertThat(DeviceSpec.resolve("auto", 4)).isEqualTo(Device.gpu(0));
        assertThat(DeviceSpec.resolve(null, 2)).isEqualTo(Device.gpu(0));
        assertThat(DeviceSpec.resolve(" AUTO ", 0)).isEqualTo(Device.cpu());
    }

    @Test
    void cpuIsTheCpuEvenWithGpus() {
        assertThat(DeviceSpec.resolve("cpu", 0)).isEqualTo(Device.cpu());
        assertThat(DeviceSpec.resolve("cpu", 8)).isEqualTo(Device.cpu());
    }

    @Test
    void gpuAndGpuNPickThatDeviceWhenItExists() {
        assertThat(DeviceSpec.resolve("gpu", 1)).isEqualTo(Device.gpu(0));
        assertThat(DeviceSpec.resolve("gpu:0", 2)).isEqualTo(Device.gpu(0));
        assertThat(DeviceSpec.resolve("gpu:3", 4)).isEqualTo(Device.gpu(3));
    }

    @Test
    void aGpuTheEngineDoesNotSeeIsAStartupErrorThatSaysWhy() {
        assertThatThrownBy(() -> DeviceSpec.resolve("gpu", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sees 0 GPU(s)")
                .hasMessageContaining("docs/deployment.md");
        assertThatThrownBy(() -> DeviceSpec.resolve("gpu:2", 2)).hasMessageContaining("arvdm.device=gpu:2");
        assertThatThrownBy(() -> DeviceSpec.resolve("gpu:-1", 2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anythingElseIsRejectedByName() {
        assertThatThrownBy(() -> DeviceSpec.resolve("cuda", 1)).hasMessageContaining("auto, cpu, gpu or gpu:N");
        assertThatThrownBy(() -> DeviceSpec.resolve("gpu:x", 1)).hasMessageContaining("not gpu:N with a number N");
    }
}
