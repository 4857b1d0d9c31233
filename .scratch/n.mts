import { normalizeCompanyName } from '../src/domain/normalize-company-name.ts';
for (const n of ['华为技术有限公司','华为','阿里巴巴集团控股有限公司','西门子（中国）有限公司','腾讯公司','公司','有限公司','比亚迪股份有限公司','台積電股份有限公司','Siemens AG','Siemens Aktiengesellschaft','Bosch Gesellschaft mit beschränkter Haftung','Müller GmbH & Co. KG','上海有限公司','中国银行','中国平安保险（集团）股份有限公司','ＡＣＭＥ有限公司'])
  console.log(n, '->', JSON.stringify(normalizeCompanyName(n)));
