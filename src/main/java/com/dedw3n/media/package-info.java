/**
 * Media: product images, post photos and videos, profile photos and message attachments, kept in
 * object storage (Google Cloud Storage, or a local directory in development) and moved by clients
 * with signed URLs, never through this server. The feature adds the media fields to the other
 * features' types itself (Product.images, Post.media, User.photos, Message.attachments), so they
 * need not know it exists; it asks them who may attach what through their public APIs. No other
 * feature uses media, so all of it is in internal.
 *
 * <p>A module: its root package is its API, sub-packages are internal, and it may use only the
 * modules named here (ModularityTests fails the build otherwise).
 */
@ApplicationModule(allowedDependencies = {"platform", "user", "product", "post", "chat"})
package com.dedw3n.media;

import org.springframework.modulith.ApplicationModule;
