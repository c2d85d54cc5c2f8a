<?xml version="1.0" encoding="utf-8"?>
<!--
  Keeps, of KubernetesClient.xml (the package's 25 MB documentation file), only the summaries of the
  models' types and properties (about 1.5 MB): the descriptions the OpenAPI documents carry.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="no" encoding="utf-8" />
  <xsl:template match="/">
    <models>
      <xsl:for-each select="doc/members/member[starts-with(@name, 'T:k8s.Models.') or starts-with(@name, 'P:k8s.Models.')]">
        <m n="{@name}"><xsl:value-of select="summary" /></m>
      </xsl:for-each>
    </models>
  </xsl:template>
</xsl:stylesheet>
