package org.arvdm;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class ArvdmApplication {
    public static void main(String[] args) {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        // one PyTorch intra-op thread per call unless told otherwise: the workers run calls side by side, and
        // with two threads the kernels' split of a reduction depends on the batch size, so a batched sample
        // stopped matching the same sample alone within 5e-5 (docs/batching.md)
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        SpringApplication.run(ArvdmApplication.class, args);
    }
}
