/**
 * Pixels: frames (C·H·W floats in [-1, 1]) to and from images, PNG/JPEG encoding at the service's
 * settings, and decoding of client images with their headers checked before any pixel is
 * allocated. Used by the HTTP edge (context clips, frame events) and by evaluation (sets, strips);
 * a bad image is a {@code PlanException} naming its field.
 */
package org.arvdm.image;
