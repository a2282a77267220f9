package com.dedw3n.chat.internal;

/** A message as it arrives in one user's inbox, numbered in that inbox. */
record InboxMessage(long inboxSeq, Message message) {}
