package org.arvdm.model;

/** A bundle folder that breaks the bundle contract; the message says which key and why. */
public final class InvalidBundleException extends Exception {
    public InvalidBundleException(String message) {
        super(message);
    }
}
